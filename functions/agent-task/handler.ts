/**
 * The agentTask step (lib/aws/steps/agent-task.ts): the function behind the Build, FanOut and
 * WaitForRuns callback states, which hands their task token to the in-cluster agent.
 */
import { agentTask } from '../../lib/aws/steps/agent-task.js';
import { agentTaskInputSchema } from '../../lib/aws/workflow-state.js';
import { loadConfig } from '../shared/config.js';
import { createStore, now } from '../shared/deps.js';
import { createLogger } from '../shared/log.js';
import { stepHandler } from '../shared/step-handler.js';

const config = loadConfig(process.env);
const deps = { store: createStore(config), now };

export const handler = stepHandler(createLogger(config.logLevel, { function: 'agentTask' }), {
  schema: agentTaskInputSchema,
  // Never the token: whoever holds it can answer for the agent.
  correlate: ({ command, state }) => ({ campaignId: state.campaignId, command }),
  run: (input) => agentTask(input, deps),
});
