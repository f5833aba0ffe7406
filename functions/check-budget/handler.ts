/** The checkBudget step (lib/aws/steps/check-budget.ts) as the state machine's checkBudget function. */
import { checkBudget } from '../../lib/aws/steps/check-budget.js';
import { workflowStateSchema } from '../../lib/aws/workflow-state.js';
import { loadConfig } from '../shared/config.js';
import { createStore, now } from '../shared/deps.js';
import { createLogger } from '../shared/log.js';
import { stepHandler } from '../shared/step-handler.js';

const config = loadConfig(process.env);
const deps = { store: createStore(config), now };

export const handler = stepHandler(createLogger(config.logLevel, { function: 'checkBudget' }), {
  schema: workflowStateSchema,
  correlate: ({ campaignId }) => ({ campaignId }),
  run: (input) => checkBudget(input, deps),
});
