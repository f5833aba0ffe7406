/** The waitForSwarm step (lib/aws/steps/wait-for-swarm.ts) as the state machine's waitForSwarm function. */
import { waitForSwarm } from '../../lib/aws/steps/wait-for-swarm.js';
import { workflowStateSchema } from '../../lib/aws/workflow-state.js';
import { loadConfig } from '../shared/config.js';
import { createClusterSwarm, createProvisioner, createStore, now } from '../shared/deps.js';
import { createLogger } from '../shared/log.js';
import { stepHandler } from '../shared/step-handler.js';

const config = loadConfig(process.env);
const deps = {
  store: createStore(config),
  provisioner: createProvisioner(config),
  clusterSwarm: createClusterSwarm(config),
  stage: config.stage,
  now,
};

export const handler = stepHandler(createLogger(config.logLevel, { function: 'waitForSwarm' }), {
  schema: workflowStateSchema,
  correlate: ({ campaignId }) => ({ campaignId }),
  run: (input) => waitForSwarm(input, deps),
});
