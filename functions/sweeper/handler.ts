/**
 * The sweeper (lib/aws/steps/sweeper.ts), run on a schedule: deletes clusters nobody tears down, and
 * purges what deleted ones left behind.
 */
import { z } from 'zod';
import { sweep } from '../../lib/aws/steps/sweeper.js';
import { loadWorkflowConfig } from '../shared/config.js';
import { createProvisioner, createStore, createWorkflow, executionArnOf, now } from '../shared/deps.js';
import { createLogger } from '../shared/log.js';
import { stepHandler } from '../shared/step-handler.js';

const config = loadWorkflowConfig(process.env);
const log = createLogger(config.logLevel, { function: 'sweeper' });
const store = createStore(config);
const provisioner = createProvisioner(config);
const workflow = createWorkflow(config);

export const handler = stepHandler(log, {
  // The schedule's event says nothing the sweep needs.
  schema: z.unknown(),
  run: (_event, correlated) =>
    sweep({
      store,
      provisioner,
      workflow,
      executionArnOf: (campaignId) => executionArnOf(config.stateMachineArn, campaignId),
      log: correlated,
      now,
    }),
});
