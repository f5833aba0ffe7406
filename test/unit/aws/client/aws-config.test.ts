/** Which control plane the CLI talks to, and the file `aws configure` writes. */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  awsConfigFile,
  regionOfApiUrl,
  resolveAwsConnection,
  saveAwsConfig,
} from '../../../../lib/aws/client/aws-config.js';
import { AwsConfigError } from '../../../../lib/aws/client/client-errors.js';

function configFile(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'inet-swarm-aws-config-')), 'inet-swarm', 'aws.json');
}

const SAVED = 'https://saved.execute-api.eu-west-1.amazonaws.com';

describe('resolveAwsConnection', () => {
  it('prefers --api, then INET_SWARM_AWS_API, then the saved config', async () => {
    const file = configFile();
    await saveAwsConfig(file, { api: SAVED, region: 'eu-west-1' });
    const env = { INET_SWARM_AWS_API: 'https://env.execute-api.us-east-2.amazonaws.com/dev' };

    expect(
      await resolveAwsConnection('https://flag.execute-api.eu-north-1.amazonaws.com', env, file),
    ).toEqual({
      apiUrl: 'https://flag.execute-api.eu-north-1.amazonaws.com',
      region: 'eu-north-1',
      source: '--api',
    });
    expect(await resolveAwsConnection(undefined, env, file)).toEqual({
      apiUrl: 'https://env.execute-api.us-east-2.amazonaws.com/dev',
      region: 'us-east-2',
      source: 'INET_SWARM_AWS_API',
    });
    expect(await resolveAwsConnection(undefined, {}, file)).toEqual({
      apiUrl: SAVED,
      region: 'eu-west-1',
      source: 'config',
    });
  });

  it('takes the region from the URL, else the config, else AWS_REGION', async () => {
    const file = configFile();
    await saveAwsConfig(file, { api: 'http://127.0.0.1:3000', region: 'ap-south-1' });
    expect((await resolveAwsConnection(undefined, { AWS_REGION: 'us-west-2' }, file)).region).toBe(
      'ap-south-1',
    );
    const bare = configFile();
    expect(
      (await resolveAwsConnection('http://127.0.0.1:3000', { AWS_REGION: 'us-west-2' }, bare)).region,
    ).toBe('us-west-2');
    await expect(resolveAwsConnection('http://127.0.0.1:3000', {}, bare)).rejects.toThrow(
      /cannot tell the region/,
    );
  });

  it('says how to configure one when none is set anywhere', async () => {
    const error = await resolveAwsConnection(undefined, {}, configFile()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsConfigError);
    expect((error as Error).message).toMatch(/--api URL.*INET_SWARM_AWS_API.*inet-swarm aws configure/);
  });

  it('refuses a URL that is not http(s), and a damaged file', async () => {
    await expect(resolveAwsConnection('ftp://x', {}, configFile())).rejects.toThrow(AwsConfigError);
    const file = configFile();
    await saveAwsConfig(file, { api: SAVED, region: null });
    writeFileSync(file, '{"v":1,"api":42}');
    await expect(resolveAwsConnection(undefined, {}, file)).rejects.toThrow(/is damaged/);
  });
});

describe('saveAwsConfig', () => {
  it('writes the file with mode 0600, without a trailing slash', async () => {
    const file = configFile();
    await saveAwsConfig(file, { api: `${SAVED}/`, region: 'eu-west-1' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ v: 1, api: SAVED, region: 'eu-west-1' });
  });
});

describe('the config location', () => {
  it('follows INET_SWARM_AWS_CONFIG, then XDG_CONFIG_HOME', () => {
    expect(awsConfigFile({ INET_SWARM_AWS_CONFIG: '/x/aws.json', XDG_CONFIG_HOME: '/y' })).toBe(
      '/x/aws.json',
    );
    expect(awsConfigFile({ XDG_CONFIG_HOME: '/y' })).toBe('/y/inet-swarm/aws.json');
    expect(awsConfigFile({})).toBe(path.join(os.homedir(), '.config', 'inet-swarm', 'aws.json'));
  });

  it('reads the region out of an execute-api URL only', () => {
    expect(regionOfApiUrl('https://a1b2c3.execute-api.ca-central-1.amazonaws.com/prod')).toBe('ca-central-1');
    expect(regionOfApiUrl('https://api.example.com')).toBeNull();
  });
});
