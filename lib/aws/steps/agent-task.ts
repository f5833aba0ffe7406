import type { AgentCommand } from '../agent-protocol.js';
import { campaignKeys } from '../bucket-layout.js';
import type { CampaignState } from '../campaign-status.js';
import type { AgentTaskInput } from '../workflow-state.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { readStatus, writeStatus } from './campaign-documents.js';

export interface AgentTaskDeps {
  readonly store: ControlPlaneStore;
  now(): Date;
}

const STATE_OF: Readonly<Record<AgentCommand['command'], CampaignState>> = {
  build: 'building',
  'fan-out': 'running',
  progress: 'running',
};

/**
 * Hands a callback state's task token to the in-cluster agent as a command document; the state then
 * waits until the agent answers the token (or its timeout or heartbeat runs out). A retried invocation
 * writes the same command again, which the agent treats as the one it has.
 *
 * The status is written only when its state changes: WaitForRuns issues `progress` every couple of
 * minutes, and each needless write could replace the agent's newer run counts with older ones.
 * @throws CampaignNotFound if the campaign has no status
 */
export async function agentTask(input: AgentTaskInput, deps: AgentTaskDeps): Promise<void> {
  const { campaignId } = input.state;
  const command: AgentCommand = {
    command: input.command,
    taskToken: input.taskToken,
    issuedAt: deps.now().toISOString(),
  };
  await deps.store.putJson(campaignKeys(campaignId).control(input.command), command);
  const status = await readStatus(deps.store, campaignId);
  const state = STATE_OF[input.command];
  if (status.state !== state) await writeStatus(deps.store, status, { state }, deps.now());
}
