/**
 * A campaign schedule: each time its EventBridge rule fires, the spec in `schedules/<name>.json` is
 * created and started as a new campaign (lib/aws/steps/launch-from-spec-file.ts). The id is derived
 * from the event's id when the rule passes it, else from the Lambda request id (the same on Lambda's
 * own retries), so a retry continues the campaign its first attempt created.
 */
import { SCHEDULES_PREFIX } from '../../lib/aws/bucket-layout.js';
import { launchFromSpecFile } from '../../lib/aws/steps/launch-from-spec-file.js';
import { presignedPutHeaders } from '../../lib/adapters/aws/s3-control-plane-store.js';
import { loadWorkflowConfig } from '../shared/config.js';
import { createStore, createWorkflow, now } from '../shared/deps.js';
import { scheduleEventSchema } from '../shared/events.js';
import { createLogger } from '../shared/log.js';
import { stepHandler } from '../shared/step-handler.js';

const config = loadWorkflowConfig(process.env);
const deps = {
  store: createStore(config),
  workflow: createWorkflow(config),
  region: config.region,
  uploadHeaders: presignedPutHeaders,
  now,
};

export const handler = stepHandler(createLogger(config.logLevel, { function: 'startScheduled' }), {
  schema: scheduleEventSchema,
  correlate: ({ schedule }) => ({ schedule }),
  run: (event, _log, context) =>
    launchFromSpecFile(
      `${SCHEDULES_PREFIX}${event.schedule}.json`,
      `${event.schedule}@${event.id ?? context.awsRequestId}`,
      deps,
    ),
});
