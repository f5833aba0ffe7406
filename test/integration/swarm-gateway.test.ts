/**
 * The swarm backend through its real HTTP gateway, without containers: the CLI (`run --swarm`,
 * `submit`, `attach`, `cancel`) against the gateway, builder and runner workers on a real Redis and
 * FerretDB (test/support/in-process-swarm.ts). Results must equal the local backend's; the gateway
 * must refuse what it should, before doing anything.
 */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULT_INDEX_FILE } from '../../lib/results/result-index.js';
import type { InProcessSwarm } from '../support/in-process-swarm.js';
import { startInProcessSwarm } from '../support/in-process-swarm.js';
import {
  demoProject,
  demoSourceProject,
  inetSwarm,
  manifestRecords,
  normalisedResult,
  resultFiles,
} from '../e2e/helpers.js';

let swarm: InProcessSwarm;

/** The results index's files, with their checksum and how many runs each gave. */
function indexedFiles(project: string): { path: string; sha256: string; runs: number }[] {
  const db = new DatabaseSync(path.join(project, 'results', RESULT_INDEX_FILE), { readOnly: true });
  try {
    return db
      .prepare(
        'SELECT path, sha256, COUNT(runId) AS runs FROM indexedFile JOIN indexedFileRun USING (fileId) GROUP BY path ORDER BY path',
      )
      .all() as { path: string; sha256: string; runs: number }[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  swarm = await startInProcessSwarm({ maxUploadBytes: 4 * 2 ** 20 });
  swarm.startRunner(2);
});
afterAll(async () => {
  await swarm.stop();
});

const authed = (init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${swarm.token}` },
});

describe('the gateway', () => {
  it('refuses every request without the right token, and does nothing', async () => {
    const probes: [string, string][] = [
      ['GET', '/v1/campaigns/c1'],
      ['PUT', '/v1/campaigns/c1'],
      ['POST', '/v1/campaigns/c1/units'],
      ['DELETE', '/v1/campaigns/c1/units'],
      ['GET', '/v1/campaigns/c1/records'],
      ['POST', '/v1/builds'],
      ['PUT', '/v1/blobs/source-0123456789abcdef'],
      ['GET', '/v1/blobs/anything'],
    ];
    for (const [method, route] of probes) {
      for (const headers of [
        {},
        { Authorization: 'Bearer wrong-token-wrong-token' },
        { Authorization: swarm.token },
      ]) {
        const response = await fetch(`${swarm.url}${route}`, {
          method,
          headers: { ...headers, 'Content-Type': 'application/json' },
          ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
        });
        expect(response.status, `${method} ${route}`).toBe(401);
      }
    }
    expect(await swarm.db().collection('campaigns').countDocuments()).toBe(0);
    const health = await fetch(`${swarm.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('checks uploads: checksum, size, and which blobs a client may write', async () => {
    const body = Buffer.from('not really a tarball');
    const sha = createHash('sha256').update(body).digest('hex');
    const put = (key: string, data: Buffer, checksum: string) =>
      fetch(
        `${swarm.url}/v1/blobs/${key}`,
        authed({ method: 'PUT', body: data, headers: { 'X-Content-SHA256': checksum } }),
      );

    expect((await put('source-aaaaaaaaaaaaaaaa', body, '0'.repeat(64))).status).toBe(400);
    expect(
      (await fetch(`${swarm.url}/v1/blobs/source-aaaaaaaaaaaaaaaa`, authed({ method: 'HEAD' }))).status,
    ).toBe(404);
    expect((await put('artifact-aaaaaaaaaaaaaaaa', body, sha)).status).toBe(403);
    expect((await put('result-x', body, sha)).status).toBe(403);
    expect((await put('..%2Fetc', body, sha)).status).toBe(400);
    const big = Buffer.alloc(5 * 2 ** 20, 1);
    const bigSha = createHash('sha256').update(big).digest('hex');
    // Refused from its Content-Length, before a byte is stored.
    expect((await put('source-bbbbbbbbbbbbbbbb', big, bigSha)).status).toBe(413);
    expect(
      (await fetch(`${swarm.url}/v1/blobs/source-bbbbbbbbbbbbbbbb`, authed({ method: 'HEAD' }))).status,
    ).toBe(404);
    expect((await put('source-cccccccccccccccc', body, sha)).status).toBe(200);
  });

  it('refuses malformed campaigns and units for unknown campaigns', async () => {
    const units = await fetch(
      `${swarm.url}/v1/campaigns/nope/units`,
      authed({
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          units: [
            {
              id: 'nope-0',
              campaignId: 'nope',
              runs: [{ runNumber: 0, configName: 'C', variables: [], description: '', resultStem: 'C-#0' }],
              priority: 1,
            },
          ],
          retry: { attempts: 1, backoffMs: 0 },
          replaceFinished: false,
        }),
      }),
    );
    expect(units.status).toBe(409);
    const campaign = await fetch(
      `${swarm.url}/v1/campaigns/c2`,
      authed({
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ campaignId: 'c2', workingDir: '../../etc' }),
      }),
    );
    expect(campaign.status).toBe(400);
    expect(((await campaign.json()) as { message: string }).message).toContain('invalid request');
  });
});

describe('run --swarm', () => {
  it('builds the source in the swarm, plans there, and stores results equal to the local backend', async () => {
    const project = demoSourceProject('swarm-run');
    const result = await inetSwarm(
      ['run', '--swarm', '-C', project, './demo', '-c', 'Failing'],
      project,
      swarm.cliEnv,
    );
    expect(result.stdout).toContain('12 runs: 9 ok, 3 failed');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/build\| .*(g\+\+|c\+\+)/); // the build log streamed to the terminal

    const local = demoProject('swarm-local');
    await inetSwarm(['run', '-C', local, './demo', '-c', 'Failing'], local);
    const files = resultFiles(path.join(project, 'results'));
    expect(files).toEqual(resultFiles(path.join(local, 'results')));
    for (const name of files.filter((n) => /\.(sca|vec)$/.test(n))) {
      expect(normalisedResult(path.join(project, 'results', name)), name).toBe(
        normalisedResult(path.join(local, 'results', name)),
      );
    }
    // The manifest describes this machine's copies, so resume can trust them.
    const records = manifestRecords(project);
    expect(records).toHaveLength(12);
    for (const record of records.filter((r) => r.status === 'ok')) {
      for (const file of record.files) {
        const sha = createHash('sha256')
          .update(readFileSync(path.join(project, file.path)))
          .digest('hex');
        expect(sha).toBe(file.sha256);
      }
    }

    // status and logs, as the user sees them.
    const id = /swarm campaign (\S+):/.exec(result.stdout)?.[1] as string;
    expect(id).toBeDefined();
    const status = await inetSwarm(['status', id], project, swarm.cliEnv);
    expect(status.stdout).toContain(`${id}  Failing  12/12 done (9 ok, 3 failed)`);
    const runLog = await inetSwarm(['logs', id, '6'], project, swarm.cliEnv);
    expect(runLog.code).toBe(0);
    expect(runLog.stdout).toContain('<!> Error: Queue overflow');
    const buildLog = await inetSwarm(['logs', id], project, swarm.cliEnv);
    expect(buildLog.stdout).toMatch(/(g\+\+|c\+\+).*model\.cc/);
    expect((await inetSwarm(['logs', id, '99'], project, swarm.cliEnv)).code).toBe(2);
    expect((await inetSwarm(['status', 'no-such-campaign'], project, swarm.cliEnv)).code).toBe(2);

    // Resubmitting resumes: only the failed runs run again, nothing is rebuilt.
    const again = await inetSwarm(
      ['run', '--swarm', '-C', project, './demo', '-c', 'Failing'],
      project,
      swarm.cliEnv,
    );
    expect(again.stdout).toContain('nothing to compile');
    expect(again.stdout).toContain('12 runs: 9 ok, 3 failed (9 kept from earlier sessions)');
    expect(manifestRecords(project)).toHaveLength(15);
  }, 400_000);

  it('submit returns at once; attach collects every run exactly once', async () => {
    const project = demoSourceProject('swarm-submit');
    await swarm.stopRunner(); // nothing runs until attach is waiting
    const submitted = await inetSwarm(
      ['submit', '-C', project, './demo', '-c', 'Quick'],
      project,
      swarm.cliEnv,
    );
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = /submitted (\S+):/.exec(submitted.stdout)?.[1];
    expect(id).toBeDefined();
    expect(manifestRecords(project)).toHaveLength(0);
    expect(existsSync(path.join(project, 'results', RESULT_INDEX_FILE))).toBe(false);
    swarm.startRunner(2);
    const attached = await inetSwarm(['attach', '-C', project, id as string], project, swarm.cliEnv);
    expect(attached.code, attached.stderr).toBe(0);
    expect(attached.stdout).toContain('18 runs: 18 ok');
    const runs = manifestRecords(project).map((r) => r.runNumber);
    expect(new Set(runs).size).toBe(18);
    expect(runs).toHaveLength(18);
    // The runs stored here feed the same results index as a local campaign's: each .sca once.
    const scaFiles = manifestRecords(project).flatMap((r) => r.files.filter((f) => f.path.endsWith('.sca')));
    expect(indexedFiles(project)).toEqual(
      scaFiles
        .map((f) => ({ path: path.relative('results', f.path), sha256: f.sha256, runs: 1 }))
        .sort((a, b) => (a.path < b.path ? -1 : 1)),
    );

    // A client killed after storing records but before marking them fetched gets them again:
    // they must not be stored twice.
    const delivered = await swarm.db().collection('runRecords').find({ campaignId: id }).toArray();
    await swarm.db().collection('runRecordsOutbox').insertMany(delivered);
    const again = await inetSwarm(['attach', '-C', project], project, swarm.cliEnv);
    expect(again.code, again.stderr).toBe(0);
    expect(manifestRecords(project)).toHaveLength(18);
    expect(indexedFiles(project)).toHaveLength(18);
  });

  it('cancel removes the queued runs; status shows what was done', async () => {
    const project = demoSourceProject('swarm-cancel');
    await swarm.stopRunner();
    try {
      const submitted = await inetSwarm(
        ['submit', '-C', project, './demo', '-c', 'Uniform'],
        project,
        swarm.cliEnv,
      );
      const id = /submitted (\S+):/.exec(submitted.stdout)?.[1] as string;
      const cancelled = await inetSwarm(['cancel', id], project, swarm.cliEnv);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect(cancelled.stdout).toContain(`cancelled ${id}: 64 queued run(s) removed`);
      const status = await inetSwarm(['status', id], project, swarm.cliEnv);
      expect(status.stdout).toContain('0/64 done');
      expect((await inetSwarm(['cancel', 'no-such-campaign'], project, swarm.cliEnv)).code).toBe(2);
    } finally {
      swarm.startRunner(2);
    }
  });

  it('a build failure shows the compiler error, enqueues nothing and exits non-zero', async () => {
    const project = demoSourceProject('swarm-broken');
    appendFileSync(path.join(project, 'model.cc'), '\nthis is not C++;\n');
    const result = await inetSwarm(
      ['run', '--swarm', '-C', project, './demo', '-c', 'Quick'],
      project,
      swarm.cliEnv,
    );
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBe(3); // a clear failure, not an internal error
    expect(result.stderr).toMatch(/model\.cc.*error/);
    expect(manifestRecords(project)).toHaveLength(0);
  });

  it("an unknown config is reported with the program's own message, exit 2", async () => {
    const project = demoSourceProject('swarm-badconfig');
    const result = await inetSwarm(
      ['run', '--swarm', '-C', project, './demo', '-c', 'NoSuchConfig'],
      project,
      swarm.cliEnv,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('NoSuchConfig');
  });

  it('a source over the size limit is refused before anything is uploaded', async () => {
    const project = demoSourceProject('swarm-big');
    writeFileSync(path.join(project, 'huge.dat'), Buffer.alloc(3 * 2 ** 20, 7));
    const result = await inetSwarm(
      ['run', '--swarm', '--max-source-mb', '1', '-C', project, './demo', '-c', 'Quick'],
      project,
      swarm.cliEnv,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('over the limit');
    expect(result.stderr).toContain('huge.dat');
  });

  it('passes paths and arguments with shell syntax through the swarm unharmed', async () => {
    const base = demoSourceProject('swarm-argv');
    const project = path.join(base, `a b;$(touch PWNED)&'x'`);
    mkdirSync(project);
    for (const name of readdirSync(base).filter((n) => n !== path.basename(project)))
      renameSync(
        path.join(base, name),
        path.join(project, name === 'omnetpp.ini' ? 'my study #1.ini' : name),
      );
    const args = ['-f', 'my study #1.ini', '-c', 'Quick', '-r', '$repetition==0 && $repetition!=1'];
    const result = await inetSwarm(['run', '--swarm', '-C', project, './demo', ...args], base, swarm.cliEnv);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('6 runs: 6 ok');
    expect(existsSync(path.join(base, 'PWNED'))).toBe(false);
    expect(existsSync(path.join(project, 'PWNED'))).toBe(false);
    expect(manifestRecords(project)[0]?.argv.slice(0, 5)).toEqual([
      './demo',
      '-f',
      'my study #1.ini',
      '-c',
      'Quick',
    ]);
  });

  it('a wrong token fails with a clear message and exit 2', async () => {
    const project = demoSourceProject('swarm-token');
    const result = await inetSwarm(['run', '--swarm', '-C', project, './demo', '-c', 'Quick'], project, {
      ...swarm.cliEnv,
      INET_SWARM_TOKEN: 'definitely-not-the-token',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('refused the token');
  });
});
