import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadWorkflowConfig } from '../../../../functions/shared/config.js';
import { executionArnOf } from '../../../../functions/shared/deps.js';
import { createLogger } from '../../../../functions/shared/log.js';
import { CampaignSpecInvalidError } from '../../../../lib/aws/errors.js';

const env = { BUCKET: 'b', STAGE: 'dev', AWS_REGION: 'eu-central-1' };
const ARN = 'arn:aws:states:eu-central-1:123456789012:stateMachine:inet-swarm-dev-campaign';

describe('loadConfig', () => {
  it('reads the environment, with the packaged files relative to the working directory', () => {
    expect(loadConfig(env)).toEqual({
      bucket: 'b',
      stage: 'dev',
      region: 'eu-central-1',
      stackFile: path.resolve('swarm/docker-stack.yml'),
      clusterTemplate: path.resolve('swarm/cluster.cfn.yaml'),
      logLevel: 'info',
    });
  });

  it('names every missing or malformed variable', () => {
    expect(() => loadConfig({ STAGE: 'Dev!' })).toThrow(
      /^invalid function environment:\nBUCKET: .*\nSTAGE: lowercase letters.*\nAWS_REGION: /,
    );
  });

  it('requires the state machine for the functions that start workflows', () => {
    expect(() => loadWorkflowConfig(env)).toThrow('STATE_MACHINE_ARN: required by this function');
    expect(() => loadWorkflowConfig({ ...env, STATE_MACHINE_ARN: 'campaign' })).toThrow(
      'STATE_MACHINE_ARN: a state machine ARN',
    );
    expect(loadWorkflowConfig({ ...env, STATE_MACHINE_ARN: ARN }).stateMachineArn).toBe(ARN);
  });
});

describe('executionArnOf', () => {
  it('names the execution like Step Functions does', () => {
    expect(executionArnOf(ARN, 'demo-0a1b2c3d')).toBe(
      'arn:aws:states:eu-central-1:123456789012:execution:inet-swarm-dev-campaign:demo-0a1b2c3d',
    );
  });
});

describe('createLogger', () => {
  it('writes one JSON line per entry with the correlation keys, above its level', () => {
    const lines: string[] = [];
    const log = createLogger('info', { function: 'api' }, (line) => lines.push(line)).child({
      campaignId: 'c-1',
    });

    log.debug('hidden');
    log.warn('cluster slow', { nodes: 2 });

    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      {
        level: 'warn',
        time: expect.any(String) as string,
        message: 'cluster slow',
        function: 'api',
        campaignId: 'c-1',
        nodes: 2,
      },
    ]);
  });

  it('writes errors with their name, message, fields and cause', () => {
    const lines: string[] = [];
    const error = new CampaignSpecInvalidError('bad spec', ['a: b'], { cause: new Error('root') });
    createLogger('info', {}, (line) => lines.push(line)).error('failed', { error });
    const entry = JSON.parse(lines[0] ?? '') as { error: Record<string, unknown> };
    expect(entry.error).toMatchObject({
      name: 'CampaignSpecInvalid',
      message: 'bad spec',
      issues: ['a: b'],
      cause: { name: 'Error', message: 'root' },
    });
    expect(entry.error.stack).toContain('CampaignSpecInvalid');
  });

  it('writes nothing when silent', () => {
    const lines: string[] = [];
    createLogger('silent', {}, (line) => lines.push(line)).error('failed');
    expect(lines).toEqual([]);
  });
});
