/**
 * Where everything lives in the control plane's bucket. One place, because the API, the steps, the
 * agent, the CLI, the bucket's lifecycle rules and the IAM policies (serverless.yml, the cluster
 * template) all depend on these prefixes.
 *
 *   sources/<sha256>.tar.gz            source snapshots, content-addressed (lifecycle: expire)
 *   campaigns/<name>.json              a spec dropped here starts a campaign (S3 trigger); nothing else
 *                                      is ever written under campaigns/, so the trigger sees only specs
 *   schedules/<name>.json              specs of scheduled campaigns (EventBridge schedule -> start)
 *   data/<campaignId>/spec.json        the validated spec the campaign runs with
 *   data/<campaignId>/status.json      state, ETA and cost, written by the API and the workflow's steps
 *   data/<campaignId>/progress.json    run counts, written by the agent alone (readers overlay them on
 *                                      the status: two writers of one document would lose updates)
 *   data/<campaignId>/control/<cmd>.json  commands for the in-cluster agent (task tokens), and cancel
 *   data/<campaignId>/plan.json        the runs, as planned inside the cluster
 *   data/<campaignId>/docker-stack.yml the stack file the cluster's managers deploy
 *   data/<campaignId>/build.log        the build's output
 *   data/<campaignId>/records/<run>-<attempt>.json   one run record per finished attempt
 *   data/<campaignId>/results/<path>   result files, at their path relative to the result directory
 */
import { z } from 'zod';

/** Campaign ids: what the API hands out; safe in S3 keys, stack names (<= 128) and BullMQ ids. */
export const campaignIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{2,62}$/, 'a campaign id is 3-63 lowercase letters, digits and dashes');

export const SOURCES_PREFIX = 'sources/';
export const TRIGGER_PREFIX = 'campaigns/';
export const SCHEDULES_PREFIX = 'schedules/';
export const DATA_PREFIX = 'data/';

export type AgentCommandName = 'build' | 'fan-out' | 'progress' | 'cancel';

export const sourceKey = (sha256: string): string => `${SOURCES_PREFIX}${sha256}.tar.gz`;

export function campaignKeys(campaignId: string) {
  const root = `${DATA_PREFIX}${campaignId}/`;
  return {
    root,
    spec: `${root}spec.json`,
    status: `${root}status.json`,
    progress: `${root}progress.json`,
    control: (command: AgentCommandName) => `${root}control/${command}.json`,
    plan: `${root}plan.json`,
    stackFile: `${root}docker-stack.yml`,
    buildLog: `${root}build.log`,
    recordsPrefix: `${root}records/`,
    record: (runNumber: number, attempt: number) => `${root}records/${runNumber}-${attempt}.json`,
    resultsPrefix: `${root}results/`,
    result: (relativePath: string) => `${root}results/${relativePath}`,
  } as const;
}

/** CloudFormation stack of a campaign's cluster (tagged with the campaign id as well). */
export const clusterStackName = (stage: string, campaignId: string): string =>
  `inet-swarm-${stage}-${campaignId}`;
