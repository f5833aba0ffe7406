/**
 * Entry point of every inet-swarm service image: `main.js <role>`. One image, several roles, so a
 * node needs one download to run any of them. SIGTERM (docker stopping the task) ends the service
 * cleanly: runners stop their simulations, which are then retried elsewhere.
 */
import { runBuilder } from './builder.js';
import { readServiceConfig } from './config.js';
import { runDashboard } from './dashboard.js';
import { runGateway } from './gateway.js';
import { runRunner } from './runner.js';

const ROLES = {
  runner: runRunner,
  gateway: runGateway,
  builder: runBuilder,
  dashboard: runDashboard,
} as const;

async function main(argv: readonly string[]): Promise<void> {
  const role = argv[0] ?? '';
  if (!(role in ROLES)) {
    console.error(`usage: main.js <${Object.keys(ROLES).join('|')}>`);
    process.exit(2);
  }
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  await ROLES[role as keyof typeof ROLES](readServiceConfig(), stop.signal);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
