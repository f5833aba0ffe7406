/**
 * The AWS cluster template (swarm/cluster.cfn.yaml), in four layers:
 * - cfn-lint finds nothing (and does find a planted error, so the check is not vacuous);
 * - what moto does not create or keep (the idle alarm, its scaling policies, CapacityRebalance, the
 *   managed policy) is asserted on the template itself;
 * - the instances' user data runs against stand-ins for docker, the AWS CLI, IMDSv2, dnf and systemd:
 *   a leader election among concurrent managers, workers joining, a stack re-created under the same
 *   name, the ready-node reporter and deploy.sh;
 * - CreateStack and DeleteStack on a real CloudFormation implementation (moto's server), with a new VPC
 *   and with an existing one, asserting what exists while the stack lives and that nothing is left.
 *
 * Auto Scaling and IAM have no SDK client among the project's dependencies; they are called through
 * their Query APIs, signed with @smithy/signature-v4 (which the project does depend on).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type Parameter,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  CreateKeyPairCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteRouteCommand,
  DeleteRouteTableCommand,
  DetachInternetGatewayCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Instance,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  at,
  CLUSTER_TEMPLATE_PATH,
  CLUSTER_TEMPLATE_TEXT,
  loadClusterTemplate,
  parameterDefault,
  renderSub,
  userDataSub,
  type Json,
} from '../support/cluster-template.js';
import { startMoto, type TestMoto } from '../support/moto-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const AMI_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
// ------------------------------------------------------------------------------------------ processes
interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('cfn-lint', () => {
  it('finds no error, warning or informational finding in the template', () => {
    const result = spawnSync(
      'cfn-lint',
      ['--include-checks', 'I', '--format', 'parseable', CLUSTER_TEMPLATE_PATH],
      {
        encoding: 'utf8',
      },
    );
    expect(result.error).toBeUndefined();
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('does report a planted error (the check above is not vacuous)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cluster-cfn-'));
    try {
      const broken = path.join(dir, 'broken.cfn.yaml');
      expect(CLUSTER_TEMPLATE_TEXT).toContain('AdjustmentType: ExactCapacity');
      writeFileSync(
        broken,
        CLUSTER_TEMPLATE_TEXT.replace('AdjustmentType: ExactCapacity', 'AdjustmentType: Exactly'),
      );
      const result = spawnSync('cfn-lint', ['--format', 'parseable', broken], { encoding: 'utf8' });
      expect(result.status).not.toBe(0);
      expect(result.stdout).toContain('Exactly');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the template, where moto creates or keeps nothing', () => {
  const template = loadClusterTemplate();
  const resources = at(template, 'Resources');

  it('alarms when no node used 5% CPU for IdleMinutes, in 5-minute periods', () => {
    const alarm = at(resources, 'IdleAlarm');
    expect(at(alarm, 'Type')).toBe('AWS::CloudWatch::Alarm');
    const props = at(alarm, 'Properties');
    expect(at(props, 'Namespace')).toBe('AWS/EC2');
    expect(at(props, 'MetricName')).toBe('CPUUtilization');
    expect(at(props, 'Statistic')).toBe('Maximum');
    expect(at(props, 'Period')).toBe(300);
    expect(at(props, 'Threshold')).toBe(5);
    expect(at(props, 'ComparisonOperator')).toBe('LessThanThreshold');
    expect(at(props, 'TreatMissingData')).toBe('notBreaching');
    expect(at(props, 'Dimensions')).toEqual([
      {
        Name: 'AutoScalingGroupName',
        Value: { 'Fn::If': ['HasWorkers', { Ref: 'WorkerGroup' }, { Ref: 'ManagerGroup' }] },
      },
    ]);
    const periods = { 'Fn::FindInMap': ['IdlePeriods', { Ref: 'IdleMinutes' }, 'Periods'] };
    expect(at(props, 'EvaluationPeriods')).toEqual(periods);
    expect(at(props, 'DatapointsToAlarm')).toEqual(periods);
    // Every value IdleMinutes allows has its period count, and count x 5 minutes is that value.
    const allowed = at(template, 'Parameters', 'IdleMinutes', 'AllowedValues');
    expect(Array.isArray(allowed) && allowed.length).toBeGreaterThan(0);
    for (const minutes of allowed as Json[]) {
      expect(typeof minutes).toBe('number');
      expect(Number(at(template, 'Mappings', 'IdlePeriods', `${minutes as number}`, 'Periods')) * 5).toBe(
        minutes,
      );
    }
    expect(at(template, 'Parameters', 'IdleMinutes', 'Default')).toBe(15);
  });

  it('sets both groups to exactly zero instances when the alarm fires', () => {
    const actions = at(resources, 'IdleAlarm', 'Properties', 'AlarmActions');
    expect(actions).toEqual([{ Ref: 'WorkerIdlePolicy' }, { Ref: 'ManagerIdlePolicy' }]);
    for (const [policy, group] of [
      ['WorkerIdlePolicy', 'WorkerGroup'],
      ['ManagerIdlePolicy', 'ManagerGroup'],
    ] as const) {
      expect(at(resources, policy, 'Type')).toBe('AWS::AutoScaling::ScalingPolicy');
      expect(at(resources, policy, 'Properties')).toMatchObject({
        AutoScalingGroupName: { Ref: group },
        AdjustmentType: 'ExactCapacity',
        ScalingAdjustment: 0,
      });
      // ExactCapacity is clamped to MinSize: 0 must be reachable.
      expect(at(resources, group, 'Properties', 'MinSize')).toBe('0');
    }
  });

  it('rebalances spot capacity (moto drops CapacityRebalance, so it is asserted here)', () => {
    expect(at(resources, 'WorkerGroup', 'Properties', 'CapacityRebalance')).toBe(true);
  });

  it('gives the nodes Session Manager and Run Command (moto ignores ManagedPolicyArns)', () => {
    expect(at(resources, 'NodeRole', 'Properties', 'ManagedPolicyArns')).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore' },
    ]);
  });
});

// ------------------------------------------------------------------------------------------ user data
const STUB_AWS = String.raw`#!/bin/bash
# aws stand-in: s3 cp, and ssm get-parameter / put-parameter on files under $FAKE_AWS/ssm.
set -euo pipefail
printf '%s\n' "$*" >>"$FAKE_AWS/calls.log"
service=$1 operation=$2
shift 2
name='' value='' type='' overwrite=false src='' dst=''
while [ "$#" -gt 0 ]; do
  case $1 in
    --name) name=$2; shift 2 ;;
    --value) value=$2; shift 2 ;;
    --type) type=$2; shift 2 ;;
    --overwrite) overwrite=true; shift ;;
    --region | --query | --output) shift 2 ;;
    --with-decryption | --only-show-errors) shift ;;
    --*) echo "aws stand-in: unexpected option $1" >&2; exit 2 ;;
    *) if [ -z "$src" ]; then src=$1; else dst=$1; fi; shift ;;
  esac
done
param="$FAKE_AWS/ssm$name"
case "$service $operation" in
  's3 cp') cp "$FAKE_AWS/s3/$(printf '%s' "$src" | sed 's|^s3://||')" "$dst" ;;
  'ssm get-parameter')
    if [ ! -f "$param/value" ]; then
      echo 'An error occurred (ParameterNotFound) when calling the GetParameter operation' >&2
      exit 254
    fi
    cat "$param/value"; echo ;;
  'ssm put-parameter')
    mkdir -p "$param"
    if $overwrite; then
      printf '%s' "$value" >"$param/value.$$" && mv "$param/value.$$" "$param/value"
    elif ! (set -o noclobber; printf '%s' "$value" >"$param/value") 2>/dev/null; then
      echo 'An error occurred (ParameterAlreadyExists) when calling the PutParameter operation' >&2
      exit 254
    fi
    printf '%s' "$type" >"$param/type" ;;
  *) echo "aws stand-in: unsupported $service $operation" >&2; exit 2 ;;
esac
`;

const STUB_DOCKER = String.raw`#!/bin/bash
# docker stand-in for one node ($NODE_DIR); the swarm's inits and joins go to $FAKE_SWARM/events.
set -euo pipefail
printf '%s\n' "$*" >>"$NODE_DIR/docker.log"
state() { cat "$NODE_DIR/swarm-state" 2>/dev/null || echo inactive; }
case "$*" in
  'info --format {{.Swarm.LocalNodeState}}') state ;;
  'info --format {{.Swarm.NodeID}}') echo "node-$INSTANCE_ID" ;;
  'swarm init '*)
    if [ "$(state)" != inactive ]; then echo 'This node is already part of a swarm.' >&2; exit 1; fi
    echo active >"$NODE_DIR/swarm-state"
    echo "init $INSTANCE_ID $NODE_IP $*" >>"$FAKE_SWARM/events" ;;
  'swarm join-token -q worker' | 'swarm join-token -q manager')
    if [ "$(state)" != active ]; then exit 1; fi
    echo "SWMTKN-$4-$NODE_IP" ;;
  'swarm join '*)
    shift 2
    token='' addr=''
    while [ "$#" -gt 0 ]; do
      case $1 in
        --token) token=$2; shift 2 ;;
        --advertise-addr) shift 2 ;;
        *) addr=$1; shift ;;
      esac
    done
    leader=$(sed -n 's/^init [^ ]* \([^ ]*\) .*/\1/p' "$FAKE_SWARM/events" 2>/dev/null | tail -n 1)
    role=''
    if [ "$token" = "SWMTKN-worker-$leader" ]; then role=worker; fi
    if [ "$token" = "SWMTKN-manager-$leader" ]; then role=manager; fi
    if [ -z "$leader" ] || [ -z "$role" ] || [ "$addr" != "$leader:2377" ]; then
      echo "join-rejected $INSTANCE_ID $token $addr" >>"$FAKE_SWARM/events"
      exit 1
    fi
    echo active >"$NODE_DIR/swarm-state"
    echo "join $INSTANCE_ID $role $addr" >>"$FAKE_SWARM/events" ;;
  'node update '*) ;;
  'node ls --format {{.Status}}') cat "$NODE_DIR/node-statuses" ;;
  'secret inspect '*) [ -f "$NODE_DIR/secrets/$3" ] ;;
  'secret create '*) mkdir -p "$NODE_DIR/secrets"; cat >"$NODE_DIR/secrets/$3" ;;
  'stack deploy '*)
    env | grep -E '^(AGENT_REPLICAS|INET_SWARM_[A-Z]+|AWS_REGION|WORKER_IMAGE|BUILDER_IMAGE|REDIS_IMAGE|MONGO_IMAGE|SPOT_WATCH|CLUSTER_USD_PER_HOUR|CLUSTER_SINCE)=' | sort >"$NODE_DIR/deploy.env"
    previous='' file=''
    for arg in "$@"; do
      if [ "$previous" = -c ]; then file=$arg; fi
      previous=$arg
    done
    cp "$file" "$NODE_DIR/deployed-stack.yml"
    printf '%s\n' "$*" >>"$NODE_DIR/deploys" ;;
  *) echo "docker stand-in: unsupported: $*" >&2; exit 2 ;;
esac
`;

const STUB_CURL = String.raw`#!/bin/bash
# IMDSv2 stand-in: PUT /latest/api/token gives a token; meta-data and the identity document (with
# $LAUNCHED_AT, if set) answer only requests carrying it.
set -euo pipefail
method=GET headers='' url=''
while [ "$#" -gt 0 ]; do
  case $1 in
    -X) method=$2; shift 2 ;;
    -H) headers="$headers|$2"; shift 2 ;;
    -*) shift ;;
    *) url=$1; shift ;;
  esac
done
case "$method $url" in
  'PUT http://169.254.169.254/latest/api/token') echo imds-session-token ;;
  'GET http://169.254.169.254/latest/meta-data/'*)
    case $headers in *'|X-aws-ec2-metadata-token: imds-session-token'*) ;; *) exit 22 ;; esac
    case $url in
      */local-ipv4) echo "$NODE_IP" ;;
      */instance-id) echo "$INSTANCE_ID" ;;
      *) exit 22 ;;
    esac ;;
  'GET http://169.254.169.254/latest/dynamic/instance-identity/document')
    case $headers in *'|X-aws-ec2-metadata-token: imds-session-token'*) ;; *) exit 22 ;; esac
    launched=$(printenv LAUNCHED_AT || true)
    if [ -z "$launched" ]; then exit 22; fi
    printf '{\n  "instanceId" : "%s",\n  "pendingTime" : "%s",\n  "privateIp" : "%s"\n}\n' \
      "$INSTANCE_ID" "$launched" "$NODE_IP" ;;
  *) exit 22 ;;
esac
`;

const STUB_LOGGING = String.raw`#!/bin/bash
printf '%s %s\n' "$(basename "$0")" "$*" >>"$NODE_DIR/system.log"
`;

// The scripts' retry loops sleep 5-30 s between attempts; the stand-in keeps their order, not their pace.
const STUB_SLEEP = String.raw`#!/bin/bash
exec /bin/sleep 0.05
`;

const STACK = 'inet-swarm-dev-camp-1';
const REGION = 'eu-central-1';
const CAMPAIGN = 'camp-1';
const BUCKET = 'inet-swarm-test-bucket';

interface FakeNode {
  readonly id: string;
  readonly ip: string;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where the node's absolute paths (/etc/docker, /opt/inet-swarm, /etc/systemd/system) land. */
  readonly root: string;
}

interface FakeCluster {
  readonly nodes: FakeNode[];
  readonly swarmDir: string;
  readonly results: Finished[];
  events(): string[];
}

describe('user data, on stand-ins for docker, the AWS CLI, IMDSv2, dnf and systemd', () => {
  const template = loadClusterTemplate();
  let work: string;
  let stubs: string;
  let awsDir: string;

  const param = (name: string): { value: string; type: string } | undefined => {
    const dir = path.join(awsDir, 'ssm', name);
    if (!existsSync(path.join(dir, 'value'))) return undefined;
    return {
      value: readFileSync(path.join(dir, 'value'), 'utf8'),
      type: readFileSync(path.join(dir, 'type'), 'utf8'),
    };
  };
  /** What CloudFormation creates with the stack (ManagerIpParameter, ReadyNodesParameter). */
  const createStackParameters = (): void => {
    for (const [name, value] of [
      [`/inet-swarm/${STACK}/manager-ip`, 'pending'],
      [`/inet-swarm/${STACK}/ready-nodes`, '0'],
    ] as const) {
      const dir = path.join(awsDir, 'ssm', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'value'), value);
      writeFileSync(path.join(dir, 'type'), 'String');
    }
  };

  function renderUserData(launchTemplate: string, stackUuid: string, root: string): string {
    const script = renderSub(userDataSub(template, launchTemplate), {
      'AWS::StackName': STACK,
      'AWS::Region': REGION,
      CampaignId: CAMPAIGN,
      StackUuid: stackUuid,
      SpotWatch: '1',
      ClusterUsdPerHour: '0.6100',
      ...Object.fromEntries(
        ['WorkerImage', 'BuilderImage', 'RedisImage', 'MongoImage'].map((name) => [
          name,
          parameterDefault(template, name),
        ]),
      ),
    });
    const moved = script.replace(/\/(etc\/docker|etc\/systemd\/system|opt\/inet-swarm)\b/g, `${root}/$1`);
    // This runs as root on a developer's machine: no other system path may be left in it.
    const code = moved
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');
    const leftovers = code.match(/(^|[\s'"=>:])\/(etc|opt|usr|var|root|home|boot|lib)\/[^\s'"]*/gm) ?? [];
    expect(leftovers).toEqual([]);
    return moved;
  }

  /** When IMDS says node `index` was launched (with `launchTimes`; without, the document is not served). */
  const launchedAt = (index: number): string => `2026-11-24T09:0${index}:00Z`;

  async function bootCluster(
    name: string,
    stackUuid: string,
    roles: ('manager' | 'worker')[],
    subnet: string,
    launchTimes = true,
  ): Promise<FakeCluster> {
    const swarmDir = path.join(work, name, 'swarm');
    mkdirSync(swarmDir, { recursive: true });
    const nodes = roles.map((role, index): FakeNode => {
      const dir = path.join(work, name, `${role}-${index}`);
      const root = path.join(dir, 'root');
      // What the AMI has already: the unit directory (the script creates the rest).
      mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
      const id = `i-${name}-${role}-${index}`;
      const ip = `${subnet}.${10 + index}`;
      const env = {
        PATH: `${stubs}:/usr/bin:/bin`,
        HOME: dir,
        NODE_DIR: dir,
        NODE_IP: ip,
        INSTANCE_ID: id,
        FAKE_AWS: awsDir,
        FAKE_SWARM: swarmDir,
        ...(launchTimes ? { LAUNCHED_AT: launchedAt(index) } : {}),
      };
      const launchTemplate = role === 'manager' ? 'ManagerLaunchTemplate' : 'WorkerLaunchTemplate';
      writeFileSync(path.join(dir, 'user-data.sh'), renderUserData(launchTemplate, stackUuid, root));
      return { id, ip, dir, env, root };
    });
    // All at once, as an Auto Scaling group launches them.
    const results = await Promise.all(
      nodes.map((node) => run('bash', [path.join(node.dir, 'user-data.sh')], node.env)),
    );
    return {
      nodes,
      swarmDir,
      results,
      events: () => readFileSync(path.join(swarmDir, 'events'), 'utf8').trim().split('\n'),
    };
  }

  let first: FakeCluster;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'cluster-user-data-'));
    stubs = path.join(work, 'bin');
    awsDir = path.join(work, 'aws');
    mkdirSync(stubs);
    mkdirSync(path.join(awsDir, 's3', BUCKET, 'data', CAMPAIGN), { recursive: true });
    writeFileSync(
      path.join(awsDir, 's3', BUCKET, 'data', CAMPAIGN, 'docker-stack.yml'),
      readFileSync(path.join(ROOT, 'swarm/docker-stack.yml')),
    );
    for (const [command, body] of [
      ['aws', STUB_AWS],
      ['docker', STUB_DOCKER],
      ['curl', STUB_CURL],
      ['dnf', STUB_LOGGING],
      ['systemctl', STUB_LOGGING],
      ['sleep', STUB_SLEEP],
    ] as const) {
      writeFileSync(path.join(stubs, command), body);
      chmodSync(path.join(stubs, command), 0o755);
    }
    createStackParameters();
    first = await bootCluster(
      'first',
      '11111111-aaaa-4aaa-8aaa-111111111111',
      ['manager', 'manager', 'manager', 'worker', 'worker'],
      '10.0.1',
    );
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('is valid bash for both roles', () => {
    for (const launchTemplate of ['ManagerLaunchTemplate', 'WorkerLaunchTemplate']) {
      const script = renderUserData(launchTemplate, 'uuid', work);
      const check = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    }
  });

  it('elects exactly one of three concurrent managers to create the swarm; the others join it', () => {
    for (const result of first.results) expect(result, result.stderr).toMatchObject({ code: 0 });
    const events = first.events();
    const inits = events.filter((line) => line.startsWith('init '));
    expect(inits).toHaveLength(1);
    const [, leaderId, leaderIp] = inits[0]!.split(' ');
    // Advertises its private IP from IMDSv2, with overlay subnets outside the VPC's 10.0.0.0/16.
    expect(inits[0]).toContain(`--advertise-addr ${leaderIp}`);
    expect(inits[0]).toContain('--default-addr-pool 10.88.0.0/16');
    const joins = events.filter((line) => line.startsWith('join '));
    const expected = first.nodes
      .filter((node) => node.id !== leaderId)
      .map(
        (node) => `join ${node.id} ${node.id.includes('-manager-') ? 'manager' : 'worker'} ${leaderIp}:2377`,
      );
    expect(joins.sort()).toEqual(expected.sort());
    expect(events.filter((line) => line.startsWith('join-rejected'))).toEqual([]);

    expect(param(`/inet-swarm/${STACK}/manager-ip`)).toEqual({ value: leaderIp, type: 'String' });
    expect(param(`/inet-swarm/${STACK}/join-token/worker`)).toEqual({
      value: `SWMTKN-worker-${leaderIp}`,
      type: 'SecureString',
    });
    expect(param(`/inet-swarm/${STACK}/join-token/manager`)).toEqual({
      value: `SWMTKN-manager-${leaderIp}`,
      type: 'SecureString',
    });
    expect(param(`/inet-swarm/${STACK}/leader/11111111-aaaa-4aaa-8aaa-111111111111`)?.value).toBe(leaderId);
    const calls = readFileSync(path.join(awsDir, 'calls.log'), 'utf8').trim().split('\n');
    for (const call of calls.filter((line) => line.startsWith('ssm ')))
      expect(call).toContain(`--region ${REGION}`);
  });

  it('sets every node up: Docker, log rotation, labels, and on managers deploy.sh and the reporter', () => {
    for (const node of first.nodes) {
      const system = readFileSync(path.join(node.dir, 'system.log'), 'utf8');
      expect(system).toContain('dnf install -y -q docker jq');
      expect(system).toContain('systemctl enable --now docker');
      const daemon = JSON.parse(
        readFileSync(path.join(node.root, 'etc/docker/daemon.json'), 'utf8'),
      ) as unknown;
      expect(daemon).toMatchObject({ 'log-opts': { 'max-size': '20m' } });
      const isManager = node.id.includes('-manager-');
      expect(existsSync(path.join(node.root, 'opt/inet-swarm/deploy.sh'))).toBe(isManager);
      if (!isManager) continue;
      // The manager's launch time from its identity document, for the cost meter.
      const index = first.nodes.indexOf(node);
      expect(readFileSync(path.join(node.root, 'opt/inet-swarm/launched-at'), 'utf8')).toBe(
        `${launchedAt(index)}\n`,
      );
      for (const script of ['deploy.sh', 'report-ready.sh']) {
        const file = path.join(node.root, 'opt/inet-swarm', script);
        expect(statSync(file).mode & 0o111).toBe(0o111);
        expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' }).status).toBe(0);
      }
      expect(
        readFileSync(path.join(node.root, 'etc/systemd/system/inet-swarm-ready.service'), 'utf8'),
      ).toContain(`ExecStart=${node.root}/opt/inet-swarm/report-ready.sh`);
      expect(system).toContain('systemctl enable --now inet-swarm-ready.service');
      expect(readFileSync(path.join(node.dir, 'docker.log'), 'utf8')).toContain(
        `node update --label-add inet-swarm.role=manager --label-add inet-swarm.campaign=${CAMPAIGN} node-${node.id}`,
      );
    }
  });

  it('builds a new swarm when a deleted stack of the same name left its lock and tokens behind', async () => {
    // CloudFormation deletes and re-creates the parameters it owns; the instance-written ones stay.
    createStackParameters();
    expect(param(`/inet-swarm/${STACK}/join-token/worker`)?.value).toMatch(/^SWMTKN-worker-10\.0\.1\./);
    // Nor does IMDS serve their launch time: that must not stop a manager from booting.
    const second = await bootCluster(
      'second',
      '22222222-bbbb-4bbb-8bbb-222222222222',
      ['worker', 'manager', 'manager'],
      '10.0.2',
      false,
    );
    for (const result of second.results) expect(result, result.stderr).toMatchObject({ code: 0 });
    for (const node of second.nodes.filter((n) => n.id.includes('-manager-')))
      expect(readFileSync(path.join(node.root, 'opt/inet-swarm/launched-at'), 'utf8')).toBe('');
    const events = second.events();
    const inits = events.filter((line) => line.startsWith('init '));
    expect(inits).toHaveLength(1);
    const leaderIp = inits[0]!.split(' ')[2]!;
    expect(leaderIp).toMatch(/^10\.0\.2\./);
    // Nobody tried the old swarm's address or tokens: they wait for the new manager-ip.
    expect(events.filter((line) => line.startsWith('join-rejected'))).toEqual([]);
    expect(events.filter((line) => line.startsWith('join '))).toHaveLength(2);
    expect(param(`/inet-swarm/${STACK}/join-token/worker`)?.value).toBe(`SWMTKN-worker-${leaderIp}`);
  });

  it('reports the number of Ready nodes to SSM', async () => {
    const manager = first.nodes.find((node) => node.id.includes('-manager-'))!;
    writeFileSync(path.join(manager.dir, 'node-statuses'), 'Ready\nReady\nDown\nReady\nUnknown\n');
    const readyFile = path.join(awsDir, 'ssm', `/inet-swarm/${STACK}/ready-nodes`, 'value');
    writeFileSync(readyFile, '0');
    const reporter = spawn(path.join(manager.root, 'opt/inet-swarm/report-ready.sh'), [], {
      env: manager.env,
      stdio: 'ignore',
    });
    try {
      let value = '0';
      for (let i = 0; i < 200 && value !== '3'; i++) {
        await delay(50);
        value = readFileSync(readyFile, 'utf8');
      }
      expect(value).toBe('3');
    } finally {
      reporter.kill('SIGTERM');
    }
  });

  describe('deploy.sh', () => {
    // One manager per test, so that each starts without secrets or deployments of its own.
    const manager = (index: number): FakeNode =>
      first.nodes.filter((node) => node.id.includes('-manager-'))[index]!;
    const deploy = (node: FakeNode, args: string[]): Promise<Finished> =>
      run(path.join(node.root, 'opt/inet-swarm/deploy.sh'), args, node.env);
    const deploysOf = (node: FakeNode): string[] => {
      const file = path.join(node.dir, 'deploys');
      return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
    };
    const secretOf = (node: FakeNode, name: string): string =>
      readFileSync(path.join(node.dir, 'secrets', name), 'utf8');

    it('deploys the campaign stack file with fresh secrets, the images and the campaign environment', async () => {
      const node = manager(0);
      const result = await deploy(node, [CAMPAIGN, BUCKET, REGION]);
      expect(result, result.stderr).toMatchObject({ code: 0 });

      expect(readFileSync(path.join(awsDir, 'calls.log'), 'utf8')).toContain(
        `s3 cp --region ${REGION} --only-show-errors s3://${BUCKET}/data/${CAMPAIGN}/docker-stack.yml`,
      );
      expect(readFileSync(path.join(node.dir, 'deployed-stack.yml'), 'utf8')).toBe(
        readFileSync(path.join(ROOT, 'swarm/docker-stack.yml'), 'utf8'),
      );
      const deploys = deploysOf(node);
      expect(deploys).toHaveLength(1);
      expect(deploys[0]).toMatch(/^stack deploy --with-registry-auth -c \S+\/docker-stack\.yml inet-swarm$/);
      expect(readFileSync(path.join(node.dir, 'deploy.env'), 'utf8').trim().split('\n')).toEqual([
        'AGENT_REPLICAS=1',
        `AWS_REGION=${REGION}`,
        'BUILDER_IMAGE=ghcr.io/inet-swarm/builder:0.1.0',
        // The cost meter counts from the manager's launch, at the price the template was given.
        `CLUSTER_SINCE=${launchedAt(first.nodes.indexOf(node))}`,
        'CLUSTER_USD_PER_HOUR=0.6100',
        `INET_SWARM_BUCKET=${BUCKET}`,
        `INET_SWARM_CAMPAIGN=${CAMPAIGN}`,
        'MONGO_IMAGE=mongo:8.0',
        'REDIS_IMAGE=redis:7.4-bookworm',
        'SPOT_WATCH=1',
        'WORKER_IMAGE=ghcr.io/inet-swarm/worker:0.1.0',
      ]);

      const secrets = [
        'inet_swarm_redis_password',
        'inet_swarm_mongo_password',
        'inet_swarm_gateway_token',
      ].map((name) => secretOf(node, name));
      for (const secret of secrets) expect(secret).toMatch(/^[0-9a-f]{64}$/);
      expect(new Set(secrets).size).toBe(3);
      // The gateway token is kept where `aws connect` can read it; Docker never shows it again.
      expect(param(`/inet-swarm/${STACK}/gateway-token`)).toEqual({
        value: secrets[2],
        type: 'SecureString',
      });
    });

    it('keeps the secrets when run again (a retried DeployStack step)', async () => {
      const node = manager(1);
      expect(await deploy(node, [CAMPAIGN, BUCKET, REGION])).toMatchObject({ code: 0 });
      const before = secretOf(node, 'inet_swarm_redis_password');
      const result = await deploy(node, [CAMPAIGN, BUCKET, REGION]);
      expect(result, result.stderr).toMatchObject({ code: 0 });
      expect(secretOf(node, 'inet_swarm_redis_password')).toBe(before);
      expect(deploysOf(node)).toHaveLength(2);
    });

    it('counts the cost from the deploy when the launch time is missing or not a time', async () => {
      const node = manager(1);
      const launchFile = path.join(node.root, 'opt/inet-swarm/launched-at');
      // A time with more after it (the check is anchored), or nothing (IMDS did not answer at boot).
      for (const junk of ["2026-11-24T09:00:00Z'; x='", '']) {
        writeFileSync(launchFile, junk);
        const before = new Date(Math.floor(Date.now() / 1000) * 1000);
        const result = await deploy(node, [CAMPAIGN, BUCKET, REGION]);
        expect(result, result.stderr).toMatchObject({ code: 0 });
        const env = readFileSync(path.join(node.dir, 'deploy.env'), 'utf8').trim().split('\n');
        const since = env.find((line) => line.startsWith('CLUSTER_SINCE='))?.slice('CLUSTER_SINCE='.length);
        expect(since).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        const sinceMs = Date.parse(since!);
        expect(sinceMs).toBeGreaterThanOrEqual(before.getTime());
        expect(sinceMs).toBeLessThanOrEqual(Date.now());
      }
    });

    it('refuses arguments that are not a campaign id, bucket and region, before doing anything', async () => {
      const node = manager(2);
      const callsBefore = readFileSync(path.join(awsDir, 'calls.log'), 'utf8');
      for (const args of [
        ['../other', BUCKET, REGION],
        [CAMPAIGN, 'bucket;reboot', REGION],
        [CAMPAIGN, BUCKET, 'eu central'],
        [CAMPAIGN, BUCKET],
      ]) {
        const result = await deploy(node, args);
        expect(result.code, args.join(' ')).toBe(64);
      }
      expect(readFileSync(path.join(awsDir, 'calls.log'), 'utf8')).toBe(callsBefore);
      expect(deploysOf(node)).toEqual([]);
    });
  });
});

// ------------------------------------------------------------------------------------------ moto
/** Auto Scaling and IAM Query APIs, signed like the SDK would; returns the response XML. */
async function queryApi(
  moto: TestMoto,
  service: 'autoscaling' | 'iam',
  action: string,
  params: Record<string, string>,
): Promise<string> {
  const version = service === 'autoscaling' ? '2011-01-01' : '2010-05-08';
  const body = new URLSearchParams({ Action: action, Version: version, ...params }).toString();
  const url = new URL(moto.endpoint);
  const signer = new SignatureV4({
    service,
    region: service === 'iam' ? 'us-east-1' : moto.region,
    credentials: moto.clientConfig.credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  const { host: _host, ...headers } = signed.headers;
  const response = await fetch(`${moto.endpoint}/`, { method: 'POST', headers, body });
  const text = await response.text();
  if (!response.ok) throw new Error(`${service} ${action}: HTTP ${response.status}: ${text}`);
  return text;
}

const xmlUnescape = (text: string): string =>
  text
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** Text of every <tag>...</tag> without nested elements, in document order. */
const xmlValues = (xml: string, tag: string): string[] =>
  [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((match) => xmlUnescape(match[1]!));

interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

describe('CreateStack and DeleteStack on moto', () => {
  let moto: TestMoto;
  let cfn: CloudFormationClient;
  let ec2: EC2Client;
  let ssm: SSMClient;
  let amiParameter: string;
  let amiId: string;

  beforeAll(async () => {
    moto = await startMoto(REGION);
    cfn = new CloudFormationClient(moto.clientConfig);
    ec2 = new EC2Client(moto.clientConfig);
    ssm = new SSMClient(moto.clientConfig);
    // moto ships AWS's public AMI parameters for most regions; where it does not, one of its own
    // images stands in, behind a parameter of the same type.
    try {
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: AMI_PARAMETER }));
      amiParameter = AMI_PARAMETER;
      amiId = Parameter!.Value!;
    } catch {
      const { Images } = await ec2.send(new DescribeImagesCommand({}));
      amiId = Images![0]!.ImageId!;
      amiParameter = '/inet-swarm-test/ami';
      await ssm.send(
        new PutParameterCommand({
          Name: amiParameter,
          Value: amiId,
          Type: 'String',
          DataType: 'aws:ec2:image',
        }),
      );
    }
  });

  afterAll(async () => {
    cfn?.destroy();
    ec2?.destroy();
    ssm?.destroy();
    await moto?.stop();
  });

  async function settle(stackId: string): Promise<Stack> {
    for (let attempt = 0; attempt < 600; attempt++) {
      const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackId }));
      const stack = Stacks?.[0];
      if (stack?.StackStatus && !stack.StackStatus.endsWith('_IN_PROGRESS')) return stack;
      await delay(100);
    }
    throw new Error(`stack ${stackId} is still in progress`);
  }

  async function createStack(name: string, parameters: Record<string, string>): Promise<Stack> {
    const Parameters: Parameter[] = Object.entries({ LatestAmiId: amiParameter, ...parameters }).map(
      ([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }),
    );
    const { StackId } = await cfn.send(
      new CreateStackCommand({
        StackName: name,
        TemplateBody: CLUSTER_TEMPLATE_TEXT,
        Parameters,
        Capabilities: ['CAPABILITY_IAM'],
      }),
    );
    const stack = await settle(StackId!);
    expect(stack.StackStatus, stack.StackStatusReason).toBe('CREATE_COMPLETE');
    return stack;
  }

  async function physicalIds(stackName: string): Promise<Map<string, { type: string; id: string }>> {
    const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }));
    return new Map(
      (StackResources ?? []).map((r) => [
        r.LogicalResourceId!,
        { type: r.ResourceType!, id: r.PhysicalResourceId ?? '' },
      ]),
    );
  }

  const outputsOf = (stack: Stack): Record<string, string> =>
    Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));

  async function group(name: string): Promise<{
    min: number;
    max: number;
    desired: number;
    zones: string;
    onDemandBase: number | undefined;
    onDemandAboveBase: number | undefined;
    spotStrategy: string | undefined;
    instances: number;
  } | null> {
    const xml = await queryApi(moto, 'autoscaling', 'DescribeAutoScalingGroups', {
      'AutoScalingGroupNames.member.1': name,
    });
    if (xmlValues(xml, 'AutoScalingGroupName').length === 0) return null;
    const number = (tag: string): number | undefined => {
      const [value] = xmlValues(xml, tag);
      return value === undefined ? undefined : Number(value);
    };
    return {
      min: number('MinSize')!,
      max: number('MaxSize')!,
      desired: number('DesiredCapacity')!,
      zones: xmlValues(xml, 'VPCZoneIdentifier')[0] ?? '',
      onDemandBase: number('OnDemandBaseCapacity'),
      onDemandAboveBase: number('OnDemandPercentageAboveBaseCapacity'),
      spotStrategy: xmlValues(xml, 'SpotAllocationStrategy')[0],
      instances: xmlValues(xml, 'InstanceId').length,
    };
  }

  async function campaignInstances(campaign: string): Promise<Instance[]> {
    const { Reservations } = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:inet-swarm:campaign', Values: [campaign] }] }),
    );
    return (Reservations ?? []).flatMap((r) => r.Instances ?? []);
  }

  const tag = (instance: Instance, key: string): string | undefined =>
    instance.Tags?.find((t) => t.Key === key)?.Value;

  async function securityGroupIngress(groupId: string): Promise<IpPermission[]> {
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    return SecurityGroups?.[0]?.IpPermissions ?? [];
  }

  /** (protocol, from, to) of the rules whose only source is the group itself. */
  function selfOnlyRules(rules: IpPermission[], groupId: string): string[] {
    return rules
      .filter(
        (rule) =>
          (rule.IpRanges ?? []).length === 0 &&
          (rule.Ipv6Ranges ?? []).length === 0 &&
          (rule.UserIdGroupPairs ?? []).length === 1 &&
          rule.UserIdGroupPairs![0]!.GroupId === groupId,
      )
      .map((rule) => `${rule.IpProtocol}:${rule.FromPort}-${rule.ToPort}`)
      .sort();
  }

  const SWARM_RULES = [
    '50:-1--1',
    'tcp:2377-2377',
    'tcp:3632-3632',
    'tcp:7946-7946',
    'udp:4789-4789',
    'udp:7946-7946',
  ];

  async function rolePolicy(roleName: string): Promise<PolicyStatement[]> {
    const names = xmlValues(
      await queryApi(moto, 'iam', 'ListRolePolicies', { RoleName: roleName }),
      'member',
    );
    expect(names).toEqual(['inet-swarm-node']);
    const xml = await queryApi(moto, 'iam', 'GetRolePolicy', { RoleName: roleName, PolicyName: names[0]! });
    const raw = xmlValues(xml, 'PolicyDocument')[0]!;
    // AWS returns the document URL-encoded; moto 5.2 returns one that CloudFormation created as a Python
    // dict repr ({'Version': ...}). Our policy's strings hold no quote characters, so swapping quotes
    // turns that repr into exact JSON (and anything else fails to parse).
    const decoded = raw.startsWith('%7B') ? decodeURIComponent(raw) : raw;
    const json = decoded.startsWith("{'") && !decoded.includes('"') ? decoded.replace(/'/g, '"') : decoded;
    const document = JSON.parse(json) as { Statement: PolicyStatement[] };
    return document.Statement;
  }

  async function launchTemplateData(templateId: string) {
    const { LaunchTemplateVersions } = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId }),
    );
    const data = LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    expect(data).toBeDefined();
    return { ...data!, userData: Buffer.from(data!.UserData ?? '', 'base64').toString('utf8') };
  }

  async function assertDeleted(
    stack: Stack,
    ids: Map<string, { type: string; id: string }>,
    campaign: string,
  ): Promise<void> {
    await cfn.send(new DeleteStackCommand({ StackName: stack.StackName }));
    const deleted = await settle(stack.StackId!);
    expect(deleted.StackStatus).toBe('DELETE_COMPLETE');
    const outputs = outputsOf(stack);

    expect(await group(outputs.ManagerAsgName!)).toBeNull();
    expect(await group(outputs.WorkerAsgName!)).toBeNull();
    const instances = await campaignInstances(campaign);
    expect(instances.length).toBeGreaterThan(0);
    for (const instance of instances) expect(instance.State?.Name).toMatch(/^(shutting-down|terminated)$/);
    await expect(
      ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [outputs.SecurityGroupId!] })),
    ).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' });
    for (const logical of ['ManagerLaunchTemplate', 'WorkerLaunchTemplate']) {
      const { LaunchTemplates } = await ec2
        .send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [ids.get(logical)!.id] }))
        .catch(() => ({ LaunchTemplates: [] }));
      expect(LaunchTemplates ?? []).toEqual([]);
    }
    await expect(queryApi(moto, 'iam', 'GetRole', { RoleName: ids.get('NodeRole')!.id })).rejects.toThrow(
      /NoSuchEntity/,
    );
    await expect(
      queryApi(moto, 'iam', 'GetInstanceProfile', {
        InstanceProfileName: ids.get('NodeInstanceProfile')!.id,
      }),
    ).rejects.toThrow(/NoSuchEntity/);
    for (const name of [outputs.SwarmReadyParameter!, outputs.ManagerIpParameter!]) {
      await expect(ssm.send(new GetParameterCommand({ Name: name }))).rejects.toMatchObject({
        name: 'ParameterNotFound',
      });
    }
  }

  it('with a new VPC: everything closed to the world, spot workers above one on-demand, then nothing left', async () => {
    const name = 'inet-swarm-test-new-vpc';
    const campaign = 'camp-new-vpc';
    const vpcsBefore = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0;
    const stack = await createStack(name, {
      Bucket: BUCKET,
      CampaignId: campaign,
      ManagerSize: '3',
      ClusterSize: '4',
      OnDemandBase: '1',
      SpotEnabled: 'true',
      ClusterUsdPerHour: '0.6100',
    });
    const ids = await physicalIds(name);
    const outputs = outputsOf(stack);

    expect(Object.keys(outputs).sort()).toEqual(
      [
        'ManagerAsgName',
        'ManagerIpParameter',
        'SecurityGroupId',
        'StackName',
        'SwarmReadyParameter',
        'VpcId',
        'WorkerAsgName',
      ].sort(),
    );
    expect(outputs.StackName).toBe(name);
    expect(outputs.SwarmReadyParameter).toBe(`/inet-swarm/${name}/ready-nodes`);
    expect(outputs.ManagerIpParameter).toBe(`/inet-swarm/${name}/manager-ip`);
    expect(outputs.VpcId).toBe(ids.get('Vpc')?.id);
    expect(outputs.SecurityGroupId).toBe(ids.get('NodeSecurityGroup')?.id);
    expect(outputs.ManagerAsgName).toBe(ids.get('ManagerGroup')?.id);
    expect(outputs.WorkerAsgName).toBe(ids.get('WorkerGroup')?.id);
    const ready = await ssm.send(new GetParameterCommand({ Name: outputs.SwarmReadyParameter }));
    expect(ready.Parameter?.Value).toBe('0');
    const managerIp = await ssm.send(new GetParameterCommand({ Name: outputs.ManagerIpParameter }));
    expect(managerIp.Parameter?.Value).toBe('pending');

    // A new VPC: two public subnets in two zones, routed to an internet gateway.
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ VpcIds: [outputs.VpcId!] }));
    expect(Vpcs?.[0]?.CidrBlock).toBe('10.0.0.0/16');
    const { Subnets } = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [outputs.VpcId!] }] }),
    );
    expect(Subnets).toHaveLength(2);
    expect(new Set(Subnets!.map((s) => s.AvailabilityZone)).size).toBe(2);
    for (const subnet of Subnets!) expect(subnet.MapPublicIpOnLaunch).toBe(true);
    const subnetIds = Subnets!.map((s) => s.SubnetId!).sort();
    const { RouteTables } = await ec2.send(
      new DescribeRouteTablesCommand({ RouteTableIds: [ids.get('PublicRouteTable')!.id] }),
    );
    const routes = RouteTables?.[0]?.Routes ?? [];
    expect(routes.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')?.GatewayId).toBe(
      ids.get('InternetGateway')!.id,
    );
    // moto keeps CloudFormation's subnet associations out of DescribeRouteTables: asserted as resources.
    for (const association of ['PublicSubnetARoutes', 'PublicSubnetBRoutes']) {
      expect(ids.get(association)?.type).toBe('AWS::EC2::SubnetRouteTableAssociation');
    }

    // Security group: swarm ports from the group itself only, nothing from any address range.
    const ingress = await securityGroupIngress(outputs.SecurityGroupId!);
    expect(ingress.flatMap((rule) => [...(rule.IpRanges ?? []), ...(rule.Ipv6Ranges ?? [])])).toEqual([]);
    expect(selfOnlyRules(ingress, outputs.SecurityGroupId!)).toEqual(SWARM_RULES);
    expect(ingress).toHaveLength(SWARM_RULES.length);
    for (const closed of [22, 8080, 8081]) {
      expect(
        ingress.some((r) => r.IpProtocol === 'tcp' && r.FromPort! <= closed && closed <= r.ToPort!),
      ).toBe(false);
    }

    // Groups: three managers on demand; four workers, one on demand, the rest spot.
    const managers = await group(outputs.ManagerAsgName!);
    expect(managers).toMatchObject({ min: 0, max: 3, desired: 3, instances: 3 });
    expect(managers?.zones.split(',').sort()).toEqual(subnetIds);
    const workers = await group(outputs.WorkerAsgName!);
    expect(workers).toMatchObject({
      min: 0,
      max: 4,
      desired: 4,
      instances: 4,
      onDemandBase: 1,
      onDemandAboveBase: 0,
      spotStrategy: 'price-capacity-optimized',
    });
    expect(workers?.zones.split(',').sort()).toEqual(subnetIds);

    // Instances: tagged by role and campaign, from the SSM parameter's AMI, in the cluster's group.
    const instances = await campaignInstances(campaign);
    expect(instances.filter((i) => tag(i, 'inet-swarm:role') === 'manager')).toHaveLength(3);
    expect(instances.filter((i) => tag(i, 'inet-swarm:role') === 'worker')).toHaveLength(4);
    for (const instance of instances) {
      expect(instance.State?.Name).toBe('running');
      expect(instance.ImageId).toBe(amiId);
      expect(instance.SecurityGroups?.map((g) => g.GroupId)).toEqual([outputs.SecurityGroupId]);
      expect(subnetIds).toContain(instance.SubnetId);
    }

    // Launch templates: IMDSv2 with hop limit 2, no key, the instance profile, the role's user data.
    for (const [logical, role, instanceType] of [
      ['ManagerLaunchTemplate', 'manager', 't3.medium'],
      ['WorkerLaunchTemplate', 'worker', 'c6i.xlarge'],
    ] as const) {
      const data = await launchTemplateData(ids.get(logical)!.id);
      expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 2 });
      expect(data.KeyName).toBeUndefined();
      expect(data.InstanceType).toBe(instanceType);
      expect(data.ImageId).toBe(amiId);
      expect(data.IamInstanceProfile?.Arn).toContain(ids.get('NodeInstanceProfile')!.id);
      expect(data.BlockDeviceMappings?.[0]?.Ebs).toMatchObject({ Encrypted: true, VolumeType: 'gp3' });
      expect(data.userData).toMatch(/^#!\/bin\/bash\n/);
      expect(data.userData).toContain(`# inet-swarm ${role} of ${name}`);
      expect(data.userData).not.toMatch(
        /\$\{(AWS::|CampaignId|StackUuid|WorkerImage|BuilderImage|RedisImage|MongoImage|ClusterUsdPerHour)/,
      );
    }
    const managerData = await launchTemplateData(ids.get('ManagerLaunchTemplate')!.id);
    const stackUuid = stack.StackId!.split('/')[2]!;
    expect(managerData.userData).toContain(`readonly LOCK="$PREFIX/leader/${stackUuid}"`);
    expect(managerData.userData).toContain("WORKER_IMAGE='ghcr.io/inet-swarm/worker:0.1.0'");
    expect(managerData.userData).toContain("SPOT_WATCH='1'");
    expect(managerData.userData).toContain("CLUSTER_USD_PER_HOUR='0.6100'");

    // Role: S3 limited to the campaign's data and the sources, SSM to this stack's parameters.
    const roleName = ids.get('NodeRole')!.id;
    const statements = await rolePolicy(roleName);
    const s3ObjectResources = statements
      .filter((s) => list(s.Action).some((a) => a === 's3:GetObject' || a === 's3:PutObject'))
      .flatMap((s) => list(s.Resource));
    expect(s3ObjectResources.sort()).toEqual(
      [`arn:aws:s3:::${BUCKET}/data/${campaign}/*`, `arn:aws:s3:::${BUCKET}/sources/*`].sort(),
    );
    const writers = statements.filter((s) => list(s.Action).includes('s3:PutObject'));
    expect(writers.flatMap((s) => list(s.Resource))).toEqual([`arn:aws:s3:::${BUCKET}/data/${campaign}/*`]);
    const lister = statements.find((s) => list(s.Action).includes('s3:ListBucket'));
    expect(list(lister?.Resource)).toEqual([`arn:aws:s3:::${BUCKET}`]);
    expect(list(lister?.Condition?.StringLike?.['s3:prefix']).sort()).toEqual([
      `data/${campaign}/*`,
      'sources/*',
    ]);
    const parameters = statements.find((s) => list(s.Action).includes('ssm:PutParameter'));
    expect(list(parameters?.Action).sort()).toEqual(['ssm:GetParameter', 'ssm:PutParameter']);
    expect(list(parameters?.Resource)).toEqual([
      `arn:aws:ssm:${REGION}:123456789012:parameter/inet-swarm/${name}/*`,
    ]);
    const callbacks = statements.find((s) => list(s.Action).includes('states:SendTaskSuccess'));
    expect(list(callbacks?.Action).sort()).toEqual([
      'states:SendTaskFailure',
      'states:SendTaskHeartbeat',
      'states:SendTaskSuccess',
    ]);
    // '*' only where AWS offers nothing else.
    for (const statement of statements) {
      if (list(statement.Resource).includes('*')) expect(statement).toBe(callbacks);
      expect(list(statement.Action).every((a) => !a.endsWith('*'))).toBe(true);
    }
    // moto ignores ManagedPolicyArns (AmazonSSMManagedInstanceCore): asserted on the template instead.
    expect(
      xmlValues(await queryApi(moto, 'iam', 'ListAttachedRolePolicies', { RoleName: roleName }), 'PolicyArn'),
    ).toEqual([]);

    // moto 5.2 has no delete for CloudFormation's AWS::EC2::RouteTable, Route, InternetGateway and
    // VPCGatewayAttachment (it skips them), so deleting the VPC fails with DependencyViolation. Standing
    // in for CloudFormation, the test deletes exactly those resources of this stack first.
    const routeTableId = ids.get('PublicRouteTable')!.id;
    const gatewayId = ids.get('InternetGateway')!.id;
    await ec2.send(new DeleteRouteCommand({ RouteTableId: routeTableId, DestinationCidrBlock: '0.0.0.0/0' }));
    await ec2.send(new DeleteRouteTableCommand({ RouteTableId: routeTableId }));
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: gatewayId, VpcId: outputs.VpcId! }));
    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: gatewayId }));
    await assertDeleted(stack, ids, campaign);
    await expect(ec2.send(new DescribeVpcsCommand({ VpcIds: [outputs.VpcId!] }))).rejects.toMatchObject({
      name: 'InvalidVpcID.NotFound',
    });
    expect((await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0).toBe(vpcsBefore);
  });

  it('in an existing VPC: no network of its own, on-demand only, SSH only from SshCidr, then nothing left', async () => {
    const name = 'inet-swarm-test-existing-vpc';
    const campaign = 'camp-existing-vpc';
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }));
    const subnets = await Promise.all(
      ['10.50.0.0/24', '10.50.1.0/24'].map((CidrBlock, i) =>
        ec2.send(
          new CreateSubnetCommand({ VpcId: Vpc!.VpcId!, CidrBlock, AvailabilityZone: `${REGION}${'ab'[i]}` }),
        ),
      ),
    );
    const subnetIds = subnets.map((s) => s.Subnet!.SubnetId!).sort();
    await ec2.send(new CreateKeyPairCommand({ KeyName: 'inet-swarm-test' }));
    const vpcsBefore = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0;

    const stack = await createStack(name, {
      Bucket: BUCKET,
      CampaignId: campaign,
      ClusterSize: '2',
      SpotEnabled: 'false',
      ExistingVpcId: Vpc!.VpcId!,
      ExistingSubnetIds: subnetIds.join(','),
      SshCidr: '203.0.113.7/32',
      KeyName: 'inet-swarm-test',
    });
    const ids = await physicalIds(name);
    const outputs = outputsOf(stack);

    const types = [...ids.values()].map((r) => r.type);
    for (const type of [
      'AWS::EC2::VPC',
      'AWS::EC2::Subnet',
      'AWS::EC2::InternetGateway',
      'AWS::EC2::RouteTable',
      'AWS::EC2::Route',
    ]) {
      expect(types).not.toContain(type);
    }
    expect((await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0).toBe(vpcsBefore);
    expect(outputs.VpcId).toBe(Vpc!.VpcId);
    const { SecurityGroups } = await ec2.send(
      new DescribeSecurityGroupsCommand({ GroupIds: [outputs.SecurityGroupId!] }),
    );
    expect(SecurityGroups?.[0]?.VpcId).toBe(Vpc!.VpcId);

    const ingress = await securityGroupIngress(outputs.SecurityGroupId!);
    const fromRanges = ingress.filter(
      (r) => (r.IpRanges ?? []).length > 0 || (r.Ipv6Ranges ?? []).length > 0,
    );
    expect(fromRanges).toHaveLength(1);
    expect(fromRanges[0]).toMatchObject({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22 });
    expect(fromRanges[0]!.IpRanges?.map((r) => r.CidrIp)).toEqual(['203.0.113.7/32']);
    expect(fromRanges[0]!.Ipv6Ranges ?? []).toEqual([]);
    expect(selfOnlyRules(ingress, outputs.SecurityGroupId!)).toEqual(SWARM_RULES);

    const managers = await group(outputs.ManagerAsgName!);
    expect(managers).toMatchObject({ min: 0, max: 1, desired: 1, instances: 1 });
    expect(managers?.zones.split(',').sort()).toEqual(subnetIds);
    const workers = await group(outputs.WorkerAsgName!);
    expect(workers).toMatchObject({
      min: 0,
      max: 2,
      desired: 2,
      instances: 2,
      onDemandBase: 0,
      onDemandAboveBase: 100,
    });
    expect(workers?.zones.split(',').sort()).toEqual(subnetIds);
    for (const instance of await campaignInstances(campaign)) expect(subnetIds).toContain(instance.SubnetId);
    for (const logical of ['ManagerLaunchTemplate', 'WorkerLaunchTemplate']) {
      expect((await launchTemplateData(ids.get(logical)!.id)).KeyName).toBe('inet-swarm-test');
    }
    // No spot workers: the runners need not watch for interruption notices. No price: no cost meter.
    const managerUserData = (await launchTemplateData(ids.get('ManagerLaunchTemplate')!.id)).userData;
    expect(managerUserData).toContain("SPOT_WATCH='0'");
    expect(managerUserData).toContain("CLUSTER_USD_PER_HOUR=''");

    await assertDeleted(stack, ids, campaign);
    // The VPC and subnets it was given are not its to delete.
    expect((await ec2.send(new DescribeVpcsCommand({ VpcIds: [Vpc!.VpcId!] }))).Vpcs).toHaveLength(1);
    expect((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }))).Subnets).toHaveLength(2);
  });
});
