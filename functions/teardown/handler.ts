/** The teardown step (lib/aws/steps/teardown.ts) as the state machine's teardown function. */
import { teardown } from '../../lib/aws/steps/teardown.js';
import { workflowStateSchema } from '../../lib/aws/workflow-state.js';
import { loadConfig } from '../shared/config.js';
import { createProvisioner, createStore, now } from '../shared/deps.js';
import { createLogger } from '../shared/log.js';
import { stepHandler } from '../shared/step-handler.js';

const config = loadConfig(process.env);
const deps = { store: createStore(config), provisioner: createProvisioner(config), stage: config.stage, now };

export const handler = stepHandler(createLogger(config.logLevel, { function: 'teardown' }), {
  schema: workflowStateSchema,
  correlate: ({ campaignId }) => ({ campaignId }),
  run: (input) => teardown(input, deps),
});
