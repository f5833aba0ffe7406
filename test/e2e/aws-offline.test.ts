/**
 * `inet-swarm submit --aws` end to end against the control plane's real API, served locally: the
 * functions of serverless.yml bundled and run by serverless-offline (`osls offline`), talking to a
 * moto server for S3 and Step Functions (the campaign state machine created in moto from the real
 * ASL). API Gateway's IAM authoriser is played by a small proxy that verifies each request's SigV4
 * signature and passes the caller on as serverless-offline's authoriser context (serverless-offline
 * has no IAM authoriser: serverless.yml switches authorisers off for it, and the api function refuses
 * requests without a caller).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ControlPlaneStore } from '../../lib/adapters/aws/s3-control-plane-store.js';
import { cancelRequestSchema } from '../../lib/aws/agent-protocol.js';
import { campaignKeys, sourceKey } from '../../lib/aws/bucket-layout.js';
import { campaignSpecSchema } from '../../lib/aws/campaign-spec.js';
import { campaignStatusSchema } from '../../lib/aws/campaign-status.js';
import { loadCampaignDefinition } from '../statemachines/campaign-definition.js';
import { freePort } from '../support/ports.js';
import { repoRoot } from '../support/repo.js';
import { signatureMatches, type ReceivedRequest } from '../support/sigv4-verify.js';
import { startMoto, type TestMoto } from '../support/moto-server.js';
import { demoProject, inetSwarm } from './helpers.js';

const REGION = 'eu-central-1';
const BUCKET = 'inet-swarm-local-offline';
const CREDENTIALS = { accessKeyId: 'AKIDOFFLINE', secretAccessKey: 'offline-secret-key' };
const CALLER = { userArn: 'arn:aws:iam::123456789012:user/researcher', accountId: '123456789012' };

let moto: TestMoto;
let offline: ChildProcess;
let offlineOutput = '';
let proxy: http.Server;
let api: string;
let store: S3ControlPlaneStore;
let sfn: SFNClient;
/** Requests the IAM proxy refused. */
const refused: string[] = [];

async function waitForHttp(url: string, process: ChildProcess): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      // not listening yet
    }
    if (process.exitCode !== null || i > 1200)
      throw new Error(`serverless-offline did not start:\n${offlineOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** API Gateway's IAM authorisation: a valid SigV4 signature, or 403 before the function is invoked. */
function startIamProxy(target: string): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const received: ReceivedRequest = {
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        headers: request.headers,
        body,
      };
      void (async () => {
        const signed =
          typeof request.headers.authorization === 'string' &&
          (await signatureMatches(received, CREDENTIALS, REGION));
        if (!signed) {
          refused.push(`${received.method} ${received.url}`);
          response.writeHead(403, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ message: 'Forbidden' }));
          return;
        }
        const forwarded = await fetch(`${target}${received.url}`, {
          method: received.method,
          headers: {
            'content-type': String(request.headers['content-type'] ?? 'application/json'),
            'sls-offline-authorizer-override': JSON.stringify({ iam: CALLER }),
          },
          ...(body === '' ? {} : { body }),
        });
        response.writeHead(forwarded.status, {
          'content-type': forwarded.headers.get('content-type') ?? 'application/json',
        });
        response.end(Buffer.from(await forwarded.arrayBuffer()));
      })().catch((error: unknown) => {
        response.writeHead(502);
        response.end(String(error));
      });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  moto = await startMoto(REGION);
  const s3 = new S3Client(moto.clientConfig);
  await s3.send(
    new CreateBucketCommand({
      Bucket: BUCKET,
      CreateBucketConfiguration: { LocationConstraint: REGION },
    }),
  );
  store = new S3ControlPlaneStore(s3, BUCKET);
  sfn = new SFNClient(moto.clientConfig);
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({
      name: 'inet-swarm-local-campaign',
      definition: JSON.stringify(loadCampaignDefinition()),
      roleArn: 'arn:aws:iam::123456789012:role/inet-swarm-local-campaign',
    }),
  );

  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  offline = spawn('npx', ['osls', 'offline', '--stage', 'local', '--region', REGION], {
    cwd: repoRoot,
    env: {
      ...process.env,
      INET_SWARM_LOCAL_BUCKET: BUCKET,
      INET_SWARM_LOCAL_STATE_MACHINE_ARN: stateMachineArn,
      INET_SWARM_OFFLINE_HTTP_PORT: String(httpPort),
      INET_SWARM_OFFLINE_LAMBDA_PORT: String(lambdaPort),
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: REGION,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  for (const stream of [offline.stdout, offline.stderr])
    stream
      ?.setEncoding('utf8')
      .on('data', (c: string) => (offlineOutput = (offlineOutput + c).slice(-20_000)));
  await waitForHttp(`http://127.0.0.1:${httpPort}/`, offline);
  proxy = await startIamProxy(`http://127.0.0.1:${httpPort}`);
  api = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
}, 300_000);

afterAll(async () => {
  proxy?.close();
  if (offline?.pid !== undefined && offline.exitCode === null) {
    const exited = new Promise((resolve) => offline.once('exit', resolve));
    process.kill(-offline.pid, 'SIGTERM');
    await exited;
  }
  await moto?.stop();
});

/** The CLI's environment: the local API, the credentials the proxy checks, no config file. */
const cliEnv = (): Record<string, string> => ({
  INET_SWARM_AWS_API: api,
  INET_SWARM_AWS_CONFIG: '',
  AWS_REGION: REGION,
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: '',
  AWS_PROFILE: '',
  AWS_EC2_METADATA_DISABLED: 'true',
});

describe('inet-swarm submit --aws against the API served by serverless-offline', () => {
  let campaignId = '';

  it('creates the campaign, uploads the source to the bucket and starts its workflow', async () => {
    const project = demoProject('aws-offline');
    const result = await inetSwarm(
      ['submit', '--aws', '--yes', '--budget', '3', './demo', '-c', 'Quick'],
      project,
      cliEnv(),
    );
    expect(result.code, `${result.stderr}\n${offlineOutput.slice(-3000)}`).toBe(0);
    campaignId = /submitted ([a-z0-9-]+)/.exec(result.stdout)?.[1] ?? '';
    expect(campaignId).toMatch(/^[a-z0-9-]+$/);

    // The spec the API stored, and the source snapshot it names, checksum-verified from the bucket.
    const keys = campaignKeys(campaignId);
    const spec = await store.getJson(keys.spec, campaignSpecSchema);
    expect(spec).toMatchObject({
      program: './demo',
      args: ['-c', 'Quick'],
      cluster: { region: REGION },
      limits: { budgetUsd: 3 },
    });
    const downloaded = `${project}/downloaded-source.tar.gz`;
    const { sha256 } = await store.downloadFile(sourceKey(spec!.source.sha256), downloaded);
    expect(sha256).toBe(spec!.source.sha256);
    const { readFile } = await import('node:fs/promises');
    expect(
      createHash('sha256')
        .update(await readFile(downloaded))
        .digest('hex'),
    ).toBe(spec!.source.sha256);

    // The workflow was started in Step Functions (moto) with the campaign id, as its execution name.
    const status = await store.getJson(keys.status, campaignStatusSchema);
    expect(status?.executionArn).toMatch(new RegExp(`:execution:inet-swarm-local-campaign:${campaignId}$`));
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: status!.executionArn! }));
    expect(JSON.parse(execution.input ?? '{}')).toEqual({ campaignId });
  });

  it('shows the campaign with status --aws and cancels it with cancel --aws', async () => {
    expect(campaignId).not.toBe('');
    const status = await inetSwarm(['status', '--aws', campaignId], repoRoot, cliEnv());
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(campaignId);

    const cancel = await inetSwarm(['cancel', '--aws', campaignId], repoRoot, cliEnv());
    expect(cancel.code, cancel.stderr).toBe(0);
    const request = await store.getJson(campaignKeys(campaignId).control('cancel'), cancelRequestSchema);
    expect(request).not.toBeNull();
  });

  it('refuses unsigned and wrongly signed requests before the function runs', async () => {
    const before = refused.length;
    const unsigned = await fetch(`${api}/campaigns`);
    expect(unsigned.status).toBe(403);
    const wrongKey = await inetSwarm(['status', '--aws'], repoRoot, {
      ...cliEnv(),
      AWS_SECRET_ACCESS_KEY: 'not-the-secret',
    });
    expect(wrongKey.code).not.toBe(0);
    expect(refused.length).toBeGreaterThanOrEqual(before + 2);
  });

  it('answers a signed but invalid spec with 400 and a JSON body, creating nothing', async () => {
    const before = await store.list('data/', null, 1000);
    const body = JSON.stringify({ program: './demo', args: [], colour: 'blue' });
    const url = new URL(`${api}/campaigns`);
    const signer = new SignatureV4({
      service: 'execute-api',
      region: REGION,
      credentials: CREDENTIALS,
      sha256: Sha256,
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    });
    const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: string; issues?: string[] };
    expect(answer.error).toBe('CampaignSpecInvalid');
    expect(answer.issues?.join('\n')).toMatch(/colour/);
    const after = await store.list('data/', null, 1000);
    expect(after.objects.map((o) => o.key)).toEqual(before.objects.map((o) => o.key));
  });
});
