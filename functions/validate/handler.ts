/** The validate step (lib/aws/steps/validate.ts) as the state machine's validate function. */
import { validate } from '../../lib/aws/steps/validate.js';
import { workflowStateSchema } from '../../lib/aws/workflow-state.js';
import { loadConfig } from '../shared/config.js';
import { createStore, now } from '../shared/deps.js';
import { createLogger } from '../shared/log.js';
import { stepHandler } from '../shared/step-handler.js';

const config = loadConfig(process.env);
const deps = { store: createStore(config), region: config.region, now };

export const handler = stepHandler(createLogger(config.logLevel, { function: 'validate' }), {
  schema: workflowStateSchema,
  correlate: ({ campaignId }) => ({ campaignId }),
  run: (input) => validate(input, deps),
});
