/**
 * Builds what the tests execute, once per test session: the CLI (`dist/`), the demo simulation
 * (`examples/demo/demo`) and FerretDB for the MongoDB integration tests. All are incremental.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  execFileSync('make', ['-s', '-C', 'examples/demo'], { cwd: root, stdio: 'inherit' });
  execFileSync('bash', ['scripts/build-ferretdb.sh'], { cwd: root, stdio: 'inherit' });
}
