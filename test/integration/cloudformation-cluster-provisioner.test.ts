/**
 * CloudFormationClusterProvisioner's cleanup against real CloudFormation and SSM APIs (moto's server):
 * a stack that owns a parameter under `/inet-swarm/<stack>/`, the parameters its instances would have
 * written beside it, then DeleteStack, and `purge` leaving nothing under the stack's path while another
 * stack's parameters stay. The cluster itself is tested in cluster-template.test.ts; the stack here is
 * the template's parameters and one SSM parameter, so that it is created in milliseconds.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  GetParametersByPathCommand,
  PutParameterCommand,
  SSMClient,
  type ParameterType,
} from '@aws-sdk/client-ssm';
import { parse } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudFormationClusterProvisioner } from '../../lib/adapters/aws/cloudformation-cluster-provisioner.js';
import { clusterStackName } from '../../lib/aws/bucket-layout.js';
import { clusterOptionsSchema } from '../../lib/aws/campaign-spec.js';
import type { ClusterRequest } from '../../lib/ports/cluster-provisioner.js';
import { startMoto, type TestMoto } from '../support/moto-server.js';
import { repoRoot } from '../support/repo.js';

const STAGE = 'it';
const CAMPAIGN_ID = 'purge-0000001';
const STACK = clusterStackName(STAGE, CAMPAIGN_ID);
const OTHER_STACK = clusterStackName(STAGE, 'other-0000001');

/** The real template's parameters (every one the provisioner may pass), as plain strings. */
function templateBody(): string {
  const real = parse(readFileSync(path.join(repoRoot, 'swarm/cluster.cfn.yaml'), 'utf8')) as {
    Parameters: Record<string, unknown>;
  };
  return JSON.stringify({
    AWSTemplateFormatVersion: '2010-09-09',
    Parameters: Object.fromEntries(
      Object.keys(real.Parameters).map((name) => [name, { Type: 'String', Default: '' }]),
    ),
    Resources: {
      ReadyNodesParameter: {
        Type: 'AWS::SSM::Parameter',
        Properties: {
          Name: { 'Fn::Sub': '/inet-swarm/${AWS::StackName}/ready-nodes' },
          Type: 'String',
          Value: '0',
        },
      },
    },
  });
}

const request: ClusterRequest = {
  stackName: STACK,
  campaignId: CAMPAIGN_ID,
  bucket: 'control-bucket',
  options: clusterOptionsSchema.parse({ region: 'eu-central-1', clusterSize: 1, instanceType: 'c6i.xlarge' }),
  usdPerHour: 0.2412,
};

let moto: TestMoto;
let cfn: CloudFormationClient;
let ssm: SSMClient;
let provisioner: CloudFormationClusterProvisioner;

beforeAll(async () => {
  moto = await startMoto();
  cfn = new CloudFormationClient(moto.clientConfig);
  ssm = new SSMClient(moto.clientConfig);
  provisioner = new CloudFormationClusterProvisioner(cfn, ssm, {
    stage: STAGE,
    templateBody: templateBody(),
  });
});

afterAll(async () => {
  cfn?.destroy();
  ssm?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
});

async function put(name: string, type: ParameterType = 'SecureString'): Promise<void> {
  await ssm.send(new PutParameterCommand({ Name: name, Type: type, Value: 'secret', Overwrite: true }));
}

async function namesUnder(stackName: string): Promise<string[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(
      new GetParametersByPathCommand({ Path: `/inet-swarm/${stackName}`, Recursive: true, NextToken }),
    );
    names.push(...(page.Parameters ?? []).map((p) => p.Name ?? ''));
    NextToken = page.NextToken;
  } while (NextToken !== undefined);
  return names.sort();
}

describe('CloudFormationClusterProvisioner cleanup on moto', () => {
  it("removes what the instances wrote under the stack's path once it is deleted, and nothing else", async () => {
    await provisioner.create(request);
    expect((await provisioner.status(STACK)).phase).toBe('ready');
    // What the managers and deploy.sh write (swarm/cluster.cfn.yaml).
    const written = [
      `/inet-swarm/${STACK}/gateway-token`,
      `/inet-swarm/${STACK}/join-token/manager`,
      `/inet-swarm/${STACK}/join-token/worker`,
      `/inet-swarm/${STACK}/leader/0f4c8d2e-1b7a-4c55-9a60-3d2f0e6b9c11`,
    ];
    for (const name of written) await put(name, name.includes('/leader/') ? 'String' : 'SecureString');
    await put(`/inet-swarm/${OTHER_STACK}/gateway-token`);
    // A sibling whose name only begins like the stack's.
    await put(`/inet-swarm/${STACK}0/gateway-token`);
    expect(await namesUnder(STACK)).toEqual([...written, `/inet-swarm/${STACK}/ready-nodes`].sort());

    await provisioner.delete(STACK);
    expect((await provisioner.status(STACK)).phase).toBe('deleted');
    // DeleteStack took the stack's own parameter; the instances' are left.
    expect(await namesUnder(STACK)).toEqual(written);
    expect(await provisioner.leftovers()).toEqual(
      expect.arrayContaining([
        { stackName: STACK, campaignId: CAMPAIGN_ID },
        { stackName: OTHER_STACK, campaignId: 'other-0000001' },
      ]),
    );

    expect((await provisioner.purge(STACK)).sort()).toEqual(written);

    expect(await namesUnder(STACK)).toEqual([]);
    expect(await namesUnder(OTHER_STACK)).toEqual([`/inet-swarm/${OTHER_STACK}/gateway-token`]);
    expect(await namesUnder(`${STACK}0`)).toEqual([`/inet-swarm/${STACK}0/gateway-token`]);
    expect((await provisioner.leftovers()).map((l) => l.stackName)).not.toContain(STACK);
    // Again: nothing to do, no error.
    expect(await provisioner.purge(STACK)).toEqual([]);
  });

  it('pages through and deletes more parameters than one call lists or deletes', async () => {
    const names = Array.from(
      { length: 23 },
      (_, i) => `/inet-swarm/${STACK}/leader/${String(i).padStart(2, '0')}`,
    );
    for (const name of names) await put(name, 'String');

    expect((await provisioner.purge(STACK)).sort()).toEqual(names);
    expect(await namesUnder(STACK)).toEqual([]);
  });

  it('lists only the stacks of its stage', async () => {
    await put(`/inet-swarm/${clusterStackName(STAGE, 'mine-00000001')}/gateway-token`);
    await put(`/inet-swarm/${clusterStackName('prod', 'theirs-000001')}/gateway-token`);
    await put('/inet-swarm-elsewhere/x', 'String');

    expect(await provisioner.leftovers()).toEqual([
      { stackName: clusterStackName(STAGE, 'mine-00000001'), campaignId: 'mine-00000001' },
    ]);
  });
});
