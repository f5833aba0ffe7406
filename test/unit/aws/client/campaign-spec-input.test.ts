/** The spec made from the command line, checked with the contract's schema before anything is sent. */
import { describe, expect, it } from 'vitest';
import {
  validateCampaignSpec,
  type AwsCampaignChoices,
} from '../../../../lib/aws/client/campaign-spec-input.js';
import { runListFilter } from '../../../../lib/aws/client/run-aws-campaign.js';
import { CampaignSpecInvalidError } from '../../../../lib/aws/errors.js';

const choices: AwsCampaignChoices = {
  program: './demo',
  args: ['-c', 'Quick'],
  workingDir: '.',
  buildCommand: 'make',
  region: 'eu-central-1',
  runTimeoutMs: null,
  maxRetries: 2,
};

describe('validateCampaignSpec', () => {
  it('fills the CLI defaults and the contract defaults', () => {
    const spec = validateCampaignSpec(choices, { sha256: 'b'.repeat(64), size: 1234 });
    expect(spec.cluster).toMatchObject({
      region: 'eu-central-1',
      instanceType: 'c6i.xlarge',
      clusterSize: 2,
      managerSize: 1,
      spot: true,
      sshCidr: null,
    });
    expect(spec.limits).toMatchObject({
      maxLifetimeMinutes: 1440,
      idleGraceMinutes: 5,
      budgetUsd: null,
      maxRetries: 2,
    });
    expect(spec.source).toEqual({ sha256: 'b'.repeat(64), size: 1234 });
    expect(spec.buildCommand).toBe('make');
  });

  it('takes the images from --worker-image and --builder-image, and leaves them to the template otherwise', () => {
    expect(validateCampaignSpec(choices).cluster).toMatchObject({ workerImage: null, builderImage: null });
    const spec = validateCampaignSpec({
      ...choices,
      workerImage: 'registry.example.org:5000/lab/inet-worker:4.5',
      builderImage: 'registry.example.org:5000/lab/inet-builder:4.5',
    });
    expect(spec.cluster).toMatchObject({
      workerImage: 'registry.example.org:5000/lab/inet-worker:4.5',
      builderImage: 'registry.example.org:5000/lab/inet-builder:4.5',
    });
  });

  it('names the image flag of a bad image reference', () => {
    let error: unknown = null;
    try {
      validateCampaignSpec({ ...choices, workerImage: 'a b', builderImage: '-lab/builder' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CampaignSpecInvalidError);
    const issues = (error as CampaignSpecInvalidError).issues.join('\n');
    expect(issues).toMatch(/^cluster\.workerImage \(--worker-image\): a Docker image reference/m);
    expect(issues).toMatch(/^cluster\.builderImage \(--builder-image\): a Docker image reference/m);
  });

  it('reports every problem as a path with the flag to fix', () => {
    const error = (() => {
      try {
        validateCampaignSpec({
          ...choices,
          region: 'mars-1',
          instanceType: 'c9z.huge',
          clusterSize: 0,
          sshCidr: '0.0.0.0',
          maxLifetimeMinutes: 5,
          maxRetries: 20,
        });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(CampaignSpecInvalidError);
    const issues = (error as CampaignSpecInvalidError).issues.join('\n');
    expect(issues).toMatch(/^cluster\.region \(--region\): unknown or unsupported region/m);
    expect(issues).toMatch(
      /^cluster\.instanceType \(--instance-type\): unknown or unsupported instance type/m,
    );
    expect(issues).toMatch(/^cluster\.clusterSize \(--cluster-size\): /m);
    expect(issues).toMatch(/^cluster\.sshCidr \(--ssh-cidr\): an IPv4 CIDR/m);
    expect(issues).toMatch(/^limits\.maxLifetimeMinutes \(--max-lifetime\): /m);
    expect(issues).toMatch(/^limits\.maxRetries \(--retries\): /m);
  });
});

describe('runListFilter', () => {
  it('selects exactly the given runs, with ranges for consecutive ones', () => {
    expect(runListFilter([9, 0, 1, 2, 3, 7, 10])).toBe('0..3,7,9..10');
    expect(runListFilter([5])).toBe('5');
  });
});
