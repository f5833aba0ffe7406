/** The campaign contract's cluster options: the images a campaign may choose. */
import { describe, expect, it } from 'vitest';
import { clusterOptionsSchema, IMAGE_REFERENCE_PATTERN } from '../../../lib/aws/campaign-spec.js';
import { at, loadClusterTemplate, text } from '../../support/cluster-template.js';

const cluster = { region: 'eu-central-1', clusterSize: 2, instanceType: 'c6i.xlarge' };

describe('clusterOptionsSchema images', () => {
  it("leaves both images null by default, so that the template's defaults apply", () => {
    expect(clusterOptionsSchema.parse(cluster)).toMatchObject({ workerImage: null, builderImage: null });
  });

  it.each([
    'inet-worker',
    'lab/inet-worker:4.5',
    'registry.example.org:5000/lab/inet-worker:4.5',
    `ghcr.io/lab/inet-builder@sha256:${'a'.repeat(64)}`,
    `registry.example.org:5000/lab/inet-worker:4.5@sha256:${'0'.repeat(64)}`,
  ])('accepts %s', (image) => {
    const options = clusterOptionsSchema.parse({ ...cluster, workerImage: image, builderImage: image });
    expect(options).toMatchObject({ workerImage: image, builderImage: image });
  });

  it.each([
    ['a space', 'lab/inet worker:4.5'],
    ['an empty string', ''],
    ['a leading dash', '-lab/inet-worker'],
    ['a quote', "lab/inet-worker'; reboot; '"],
    ['more than 255 characters', `lab/${'w'.repeat(252)}`],
  ])('rejects %s', (_name, image) => {
    for (const field of ['workerImage', 'builderImage']) {
      const parsed = clusterOptionsSchema.safeParse({ ...cluster, [field]: image });
      expect(parsed.success, `${field}: ${image}`).toBe(false);
      expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual([field]);
    }
  });

  it('still refuses an unknown field beside them', () => {
    const parsed = clusterOptionsSchema.safeParse({ ...cluster, workerImage: 'lab/w:1', redisImage: 'r:7' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys' })]);
  });

  it("is the pattern the template's image parameters allow", () => {
    const template = loadClusterTemplate();
    for (const parameter of ['WorkerImage', 'BuilderImage'])
      expect(text(at(template, 'Parameters', parameter, 'AllowedPattern')), parameter).toBe(
        IMAGE_REFERENCE_PATTERN.source,
      );
  });
});
