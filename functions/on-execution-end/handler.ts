/**
 * Runs onExecutionEnd (lib/aws/steps/on-execution-end.ts) for the EventBridge rule on the campaign
 * state machine's FAILED, TIMED_OUT and ABORTED executions, which never reach its Teardown or did not
 * finish it. Other statuses and executions not named like a campaign are ignored (logged).
 */
import { campaignIdSchema } from '../../lib/aws/bucket-layout.js';
import { onExecutionEnd, type ExecutionEnd } from '../../lib/aws/steps/on-execution-end.js';
import { loadConfig } from '../shared/config.js';
import { createProvisioner, createStore, now } from '../shared/deps.js';
import { executionStatusChangeSchema } from '../shared/events.js';
import { createLogger } from '../shared/log.js';
import { stepHandler } from '../shared/step-handler.js';

const config = loadConfig(process.env);
const deps = { store: createStore(config), provisioner: createProvisioner(config), stage: config.stage, now };

const ENDED: ReadonlySet<string> = new Set<ExecutionEnd['status']>(['FAILED', 'TIMED_OUT', 'ABORTED']);
const isEnded = (status: string): status is ExecutionEnd['status'] => ENDED.has(status);

export const handler = stepHandler(createLogger(config.logLevel, { function: 'onExecutionEnd' }), {
  schema: executionStatusChangeSchema,
  correlate: ({ detail }) => ({
    campaignId: detail.name,
    executionArn: detail.executionArn,
    status: detail.status,
  }),
  run: async ({ detail }, log) => {
    if (!isEnded(detail.status) || !campaignIdSchema.safeParse(detail.name).success) {
      log.warn('ignored execution status change');
      return null;
    }
    return onExecutionEnd(
      {
        campaignId: detail.name,
        executionArn: detail.executionArn,
        status: detail.status,
        error: detail.error ?? null,
        cause: detail.cause ?? null,
      },
      deps,
    );
  },
});
