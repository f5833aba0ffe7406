/**
 * The `build` command: the source snapshot goes from the bucket to the swarm (once per content hash,
 * under the same `source-<hash>` key scheme as the swarm client uses), the swarm's builder builds it
 * with the spec's build command, and its output streams into build.log as it happens.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../../adapters/local/sha256-file.js';
import { BlobCorruptError } from '../../core/errors.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import type { BuildRequest, BuildResult } from '../../swarm/build-jobs.js';
import { followJob } from '../../swarm/client/prepare-campaign.js';
import type { BuildOutput } from '../agent-protocol.js';
import { sourceKey } from '../bucket-layout.js';
import type { CampaignSpec } from '../campaign-spec.js';
import type { SwarmGateway } from './agent-options.js';
import type { BuildLog } from './build-log.js';

/** The swarm build a spec stands for: its identity decides whether an earlier build is reused. */
export function buildRequestOf(spec: CampaignSpec): BuildRequest {
  return {
    sourceKey: `source-${spec.source.sha256}`,
    sourceHash: spec.source.sha256,
    settings: { command: spec.buildCommand, buildDir: spec.workingDir },
  };
}

export interface BuildContext {
  readonly store: ControlPlaneStore;
  readonly gateway: SwarmGateway;
  readonly scratchDir: string;
  readonly buildLog: BuildLog;
  readonly jobPollMs: number;
}

/** @throws BuildFailedError (and the other errors of lib/swarm/build-jobs.ts) as the builder reports them */
export async function buildInSwarm(
  spec: CampaignSpec,
  context: BuildContext,
  signal: AbortSignal,
): Promise<BuildOutput> {
  const { gateway, buildLog } = context;
  const request = buildRequestOf(spec);
  if (!(await gateway.blobExists(request.sourceKey))) {
    const dir = await mkdtemp(path.join(context.scratchDir, 'agent-source-'));
    try {
      const file = path.join(dir, 'source.tar.gz');
      await context.store.downloadFile(sourceKey(spec.source.sha256), file);
      const sha256 = await sha256File(file);
      if (sha256 !== spec.source.sha256)
        throw new BlobCorruptError(
          `the source in the bucket has sha256 ${sha256}, but the campaign names ${spec.source.sha256}`,
        );
      await gateway.uploadBlob(request.sourceKey, file, sha256);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const requested = await gateway.requestBuild(request);
  if (requested.reused) buildLog.append(`inet-swarm: this source was built before; reusing that build`);
  const built = (await followJob(
    // An earlier build's log is not this campaign's: skip it.
    (logFrom) => gateway.build(requested.id, requested.reused ? Number.MAX_SAFE_INTEGER : logFrom),
    { notify: (event) => (event.type === 'build-log' ? buildLog.append(event.line) : undefined) },
    signal,
    context.jobPollMs,
  )) as BuildResult;
  return {
    artifactKey: built.artifactKey,
    // A build that had succeeded before compiled nothing for this campaign.
    compiles: requested.reused ? 0 : built.compiles,
    durationMs: built.durationMs,
    reused: requested.reused,
  };
}
