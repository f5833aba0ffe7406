/** The checkTeardown step (lib/aws/steps/check-teardown.ts) as the state machine's checkTeardown function. */
import { checkTeardown } from '../../lib/aws/steps/check-teardown.js';
import { workflowStateSchema } from '../../lib/aws/workflow-state.js';
import { loadConfig } from '../shared/config.js';
import { createProvisioner, createStore, now } from '../shared/deps.js';
import { createLogger } from '../shared/log.js';
import { stepHandler } from '../shared/step-handler.js';

const config = loadConfig(process.env);
const deps = { store: createStore(config), provisioner: createProvisioner(config), stage: config.stage, now };

export const handler = stepHandler(createLogger(config.logLevel, { function: 'checkTeardown' }), {
  schema: workflowStateSchema,
  correlate: ({ campaignId }) => ({ campaignId }),
  run: (input, log) => checkTeardown(input, { ...deps, log }),
});
