/**
 * Builds what the end-to-end tests execute, once per test session: the CLI (`dist/`) and the demo
 * simulation (`examples/demo/demo`). Both builds are incremental, so a second session is fast.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  execFileSync('make', ['-s', '-C', 'examples/demo'], { cwd: root, stdio: 'inherit' });
}
