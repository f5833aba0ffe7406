/**
 * The bucket trigger: a spec written to `campaigns/<name>.json` is created and started as a campaign
 * (lib/aws/steps/launch-from-spec-file.ts). The campaign id is derived from the object's key and this
 * write of it, so a redelivered or retried event continues the same campaign, and writing the file
 * again starts a new one. A failure is logged with the key and thrown (Lambda retries it).
 */
import { TRIGGER_PREFIX } from '../../lib/aws/bucket-layout.js';
import type { LaunchedCampaign } from '../../lib/aws/steps/launch-campaign.js';
import { launchFromSpecFile } from '../../lib/aws/steps/launch-from-spec-file.js';
import { presignedPutHeaders } from '../../lib/adapters/aws/s3-control-plane-store.js';
import { loadWorkflowConfig } from '../shared/config.js';
import { createStore, createWorkflow, now } from '../shared/deps.js';
import { objectCreatedSchema } from '../shared/events.js';
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

export const handler = stepHandler(createLogger(config.logLevel, { function: 'startFromBucket' }), {
  schema: objectCreatedSchema,
  run: async (objects, log, context) => {
    const launched: LaunchedCampaign[] = [];
    for (const { bucket, key, writeId } of objects) {
      if (bucket !== config.bucket || !key.startsWith(TRIGGER_PREFIX) || !key.endsWith('.json')) {
        log.warn('ignored object', { bucket, key });
        continue;
      }
      try {
        const campaign = await launchFromSpecFile(key, `${key}@${writeId ?? context.awsRequestId}`, deps);
        log.info('launched campaign from the bucket', { key, ...campaign });
        launched.push(campaign);
      } catch (error) {
        log.error('could not launch campaign from the bucket', { key, error });
        throw error;
      }
    }
    return launched;
  },
});
