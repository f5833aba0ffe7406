#!/usr/bin/env bash
# The AWS stand-ins the tests use (ENVIRONMENT.md, "AWS without AWS"): moto's server as a real HTTP AWS
# endpoint, cfn-lint for the CloudFormation templates, and the AWS CLI that the cluster's scripts call
# (run against moto in the workflow test), from PyPI, pinned. Idempotent.
set -euo pipefail
MOTO_VERSION=5.2.1
CFN_LINT_VERSION=1.51.0
AWSCLI_VERSION=1.46.3
have() { python3 -m pip show "$1" 2>/dev/null | awk '/^Version:/ {print $2}'; }
if ! command -v python3 >/dev/null; then
  apt-get install -y -qq python3 python3-pip >/dev/null
fi
want=()
[ "$(have moto)" = "$MOTO_VERSION" ] || want+=("moto[server]==$MOTO_VERSION")
[ "$(have cfn-lint)" = "$CFN_LINT_VERSION" ] || want+=("cfn-lint==$CFN_LINT_VERSION")
if [ "${#want[@]}" -gt 0 ]; then
  # Debian's own python refuses system-wide pip installs (PEP 668); a pyenv python does not.
  python3 -m pip install -q "${want[@]}" 2>/dev/null || python3 -m pip install -q --break-system-packages "${want[@]}"
fi
command -v moto_server >/dev/null && command -v cfn-lint >/dev/null

# The AWS CLI in a virtualenv of its own under .tools/: it pins botocore, which must not move moto's.
AWSCLI_DIR="$(cd "$(dirname "$0")/.." && pwd)/.tools/awscli"
if [ "$("$AWSCLI_DIR/bin/aws" --version 2>&1 | awk '{print $1}')" != "aws-cli/$AWSCLI_VERSION" ]; then
  rm -rf "$AWSCLI_DIR"
  python3 -m venv "$AWSCLI_DIR" 2>/dev/null || {
    apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$AWSCLI_DIR"
  }
  "$AWSCLI_DIR/bin/pip" install -q "awscli==$AWSCLI_VERSION"
fi
echo "aws tools: moto $(have moto), cfn-lint $(have cfn-lint), $("$AWSCLI_DIR/bin/aws" --version 2>&1 | awk '{print $1}')"
