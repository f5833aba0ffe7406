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

const ROLES: Readonly<Record<string, (stop: AbortSignal) => Promise<void>>> = {
  runner: (stop) => runRunner(readServiceConfig(), stop),
  gateway: (stop) => runGateway(readServiceConfig(), stop),
  builder: (stop) => runBuilder(readServiceConfig(), stop),
  dashboard: (stop) => runDashboard(readServiceConfig(), stop),
  // aws mode only: talks to the swarm through the gateway (no Redis or MongoDB settings), and is the
  // only role that loads the AWS SDK.
  agent: async (stop) => (await import('./agent.js')).runAgent(stop),
};

async function main(argv: readonly string[]): Promise<void> {
  const role = argv[0] ?? '';
  const run = Object.hasOwn(ROLES, role) ? ROLES[role] : undefined;
  if (run === undefined) {
    console.error(`usage: main.js <${Object.keys(ROLES).join('|')}>`);
    process.exit(2);
  }
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  await run(stop.signal);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
