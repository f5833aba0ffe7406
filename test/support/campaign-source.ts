/** A campaign's source in the control plane's bucket, as `inet-swarm run --aws` puts it there. */
import { statSync } from 'node:fs';
import path from 'node:path';
import { packSnapshot, scanSource } from '../../lib/adapters/local/source-snapshot.js';
import { sha256File } from '../../lib/adapters/local/sha256-file.js';
import { sourceKey } from '../../lib/aws/bucket-layout.js';
import type { ControlPlaneStore } from '../../lib/ports/control-plane-store.js';
import { demoSourceProject } from '../e2e/helpers.js';

/**
 * Packs a fresh copy of the demo's sources (no program: the cluster must build it) into `scratchDir`
 * and stores it under its sha256; returns the spec's `source`.
 */
export async function uploadDemoSource(
  store: ControlPlaneStore,
  label: string,
  scratchDir: string,
): Promise<{ sha256: string; size: number }> {
  const project = demoSourceProject(label);
  const snapshot = await scanSource({ projectDir: project, exclude: [], maxBytes: 64 * 2 ** 20 });
  const archive = path.join(scratchDir, 'source.tar.gz');
  await packSnapshot(snapshot, archive);
  const sha256 = await sha256File(archive);
  await store.uploadFile(sourceKey(sha256), archive, sha256);
  return { sha256, size: statSync(archive).size };
}
