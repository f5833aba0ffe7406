/** The deployStack step (lib/aws/steps/deploy-stack.ts) as the state machine's deployStack function. */
import { deployStack } from '../../lib/aws/steps/deploy-stack.js';
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
  bucket: config.bucket,
  region: config.region,
  now,
};

export const handler = stepHandler(createLogger(config.logLevel, { function: 'deployStack' }), {
  schema: workflowStateSchema,
  correlate: ({ campaignId }) => ({ campaignId }),
  run: (input) => deployStack(input, deps),
});
