/** The agent service's environment (swarm/services/agent.ts): parsed once, strictly. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAgentConfig } from '../../../../swarm/services/agent.js';

describe('the agent configuration', () => {
  it('reads the campaign, bucket, region and the gateway token secret', () => {
    const secret = path.join(mkdtempSync(path.join(os.tmpdir(), 'agent-config-')), 'token');
    writeFileSync(secret, 'a-gateway-token\n');
    expect(
      readAgentConfig({
        INET_SWARM_CAMPAIGN: 'c-20260101-abc',
        INET_SWARM_BUCKET: 'inet-swarm-dev-bucket',
        AWS_REGION: 'eu-central-1',
        GATEWAY_TOKEN_FILE: secret,
        SCRATCH_DIR: '/scratch',
      }),
    ).toEqual({
      campaignId: 'c-20260101-abc',
      bucket: 'inet-swarm-dev-bucket',
      region: 'eu-central-1',
      gatewayUrl: 'http://gateway:8080',
      gatewayToken: 'a-gateway-token',
      scratchDir: '/scratch',
    });
  });

  it('refuses what the stack passes empty in swarm mode, naming every variable', () => {
    const read = () =>
      readAgentConfig({
        INET_SWARM_CAMPAIGN: '',
        INET_SWARM_BUCKET: '',
        AWS_REGION: '',
        GATEWAY_TOKEN: 't',
      });
    expect(read).toThrow(
      /INET_SWARM_CAMPAIGN: is not set\nINET_SWARM_BUCKET: is not set\nAWS_REGION: is not set/,
    );
    expect(() =>
      readAgentConfig({
        INET_SWARM_CAMPAIGN: 'Not_An_Id',
        INET_SWARM_BUCKET: 'bucket',
        AWS_REGION: 'eu-central-1',
        GATEWAY_TOKEN: 't',
      }),
    ).toThrow(/INET_SWARM_CAMPAIGN: a campaign id is 3-63 lowercase letters/);
    expect(() =>
      readAgentConfig({
        INET_SWARM_CAMPAIGN: 'c-1',
        INET_SWARM_BUCKET: 'bucket',
        AWS_REGION: 'eu-central-1',
      }),
    ).toThrow(/GATEWAY_TOKEN_FILE is not set/);
  });
});
