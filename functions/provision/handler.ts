/**
 * The provision step (lib/aws/steps/provision.ts) as the state machine's provision function. The
 * cluster template and the stack file are read at the cold start: a function packaged without them
 * fails at once, not half way through a campaign.
 */
import { provision } from '../../lib/aws/steps/provision.js';
import { workflowStateSchema } from '../../lib/aws/workflow-state.js';
import { loadConfig } from '../shared/config.js';
import { createProvisioner, createStore, now, readClusterTemplate, readStackFile } from '../shared/deps.js';
import { createLogger } from '../shared/log.js';
import { stepHandler } from '../shared/step-handler.js';

const config = loadConfig(process.env);
// Without its own role, CloudFormation would create the cluster with this function's rights, which
// are deliberately too small for that: refuse at the cold start rather than at the first campaign.
if (config.clusterStackRoleArn === undefined)
  throw new Error('invalid function environment:\nCLUSTER_STACK_ROLE_ARN: required by provision');
const deps = {
  store: createStore(config),
  provisioner: createProvisioner(config, readClusterTemplate(config)),
  stage: config.stage,
  bucket: config.bucket,
  stackFile: readStackFile(config),
  now,
};

export const handler = stepHandler(createLogger(config.logLevel, { function: 'provision' }), {
  schema: workflowStateSchema,
  correlate: ({ campaignId }) => ({ campaignId }),
  run: (input) => provision(input, deps),
});
