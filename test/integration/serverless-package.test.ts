/**
 * The control plane as CloudFormation: `osls package` of serverless.yml (with the real handlers,
 * bundled by serverless-esbuild) and assertions on the generated template — the state machine and its
 * definition, the IAM-authorised routes of lib/aws/api-contract.ts, the bucket's protections, the
 * triggers, least-privilege IAM — then cfn-lint on it (installed by scripts/ensure-aws-tools.sh).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleEventSchema } from '../../functions/shared/events.js';
import {
  DATA_PREFIX,
  SCHEDULES_PREFIX,
  SOURCES_PREFIX,
  TRIGGER_PREFIX,
} from '../../lib/aws/bucket-layout.js';
import { repoRoot } from '../support/repo.js';
import { CAMPAIGN_ASL, placeholders, readCampaignAsl } from '../statemachines/campaign-definition.js';

const run = promisify(execFile);

const STAGE = 'ci';
const REGION = 'eu-central-1';
const STATE_MACHINE_NAME = `inet-swarm-${STAGE}-campaign`;

/** Function key -> handler folder (functions/<kebab>/handler.ts exports `handler`). */
const FUNCTIONS: Readonly<Record<string, string>> = {
  api: 'api',
  validate: 'validate',
  provision: 'provision',
  waitForSwarm: 'wait-for-swarm',
  deployStack: 'deploy-stack',
  agentTask: 'agent-task',
  checkBudget: 'check-budget',
  teardown: 'teardown',
  checkTeardown: 'check-teardown',
  sweeper: 'sweeper',
  onExecutionEnd: 'on-execution-end',
  startFromBucket: 'start-from-bucket',
  startScheduled: 'start-scheduled',
};
/** The functions the state machine invokes. */
const STEP_FUNCTIONS = [
  'validate',
  'provision',
  'waitForSwarm',
  'deployStack',
  'agentTask',
  'checkBudget',
  'teardown',
  'checkTeardown',
];

/**
 * cfn-lint warnings accepted in the packaged template, and why. Anything else fails the test.
 *   W3005: osls gives each function a DependsOn on its role and each HTTP API route one on its
 *   integration, which its GetAtt/Ref already implies. Harmless, and not ours to change.
 */
const ACCEPTED_CFN_LINT_WARNINGS = new Set(['W3005']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly DependsOn?: string | string[];
}
interface Template {
  readonly Resources: Record<string, Resource>;
}
interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: Json;
  readonly NotResource?: Json;
  readonly Principal?: Json;
  readonly Condition?: Record<string, Record<string, Json>>;
}
interface PolicyOwner {
  readonly logicalId: string;
  readonly statements: readonly Statement[];
}

let packageDir = '';
let template: Template;
let serviceCustom: { allowedWildcardActions?: string[] };

const logicalIdOf = (key: string) => `${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction`;
const asArray = <T>(value: T | readonly T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...(value as T[])] : [value as T];

function resource(logicalId: string): Resource {
  const found = template.Resources[logicalId];
  if (found === undefined) throw new Error(`the template has no resource ${logicalId}`);
  return found;
}

function resourcesOfType(type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** `{ "Fn::GetAtt": [X, "Arn"] }` -> X */
function getAttTarget(value: Json | undefined): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const getAtt = value['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

/** A `Fn::Sub` string, or the string itself. */
function subText(value: Json | undefined): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const sub = value['Fn::Sub'];
    if (typeof sub === 'string') return sub;
  }
  return JSON.stringify(value);
}

/** An environment value as CloudFormation would deploy it, with fake account values. */
function deployedValue(value: Json): string {
  if (typeof value === 'string') return value;
  const target = getAttTarget(value);
  if (target !== undefined) return `arn:aws:iam::123456789012:role/${target}`;
  return subText(value)
    .replaceAll('${AWS::Partition}', 'aws')
    .replaceAll('${AWS::Region}', REGION)
    .replaceAll('${AWS::AccountId}', '123456789012');
}

/** Every identity policy in the template: role inline policies and managed/inline policy resources. */
function identityPolicies(): PolicyOwner[] {
  const owners: PolicyOwner[] = [];
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    const documents: Json[] = [];
    if (r.Type === 'AWS::IAM::Role')
      for (const policy of asArray(r.Properties?.Policies as Json[] | undefined))
        documents.push((policy as { PolicyDocument: Json }).PolicyDocument);
    if (r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy')
      documents.push(r.Properties?.PolicyDocument ?? null);
    const statements = documents.flatMap((d) =>
      asArray((d as { Statement?: Statement[] } | null)?.Statement),
    );
    if (r.Type.startsWith('AWS::IAM::')) owners.push({ logicalId, statements });
  }
  return owners;
}

function statementsOfRole(logicalId: string): readonly Statement[] {
  return identityPolicies().find((owner) => owner.logicalId === logicalId)?.statements ?? [];
}

/*
 * Zip files through Python's zipfile (python3 is there for cfn-lint; unzip may not be installed).
 */
const ZIP_LIST = 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))';
const ZIP_READ =
  'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))';

/** The entries of a packaged function. */
async function zipEntries(zip: string): Promise<string[]> {
  const { stdout } = await run('python3', ['-c', ZIP_LIST, zip]);
  return stdout.split('\n').filter((line) => line !== '');
}

async function zipText(zip: string, entry: string): Promise<string> {
  const { stdout } = await run('python3', ['-c', ZIP_READ, zip, entry], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

async function unzip(zip: string, directory: string): Promise<void> {
  await run('python3', ['-m', 'zipfile', '-e', zip, directory]);
}

beforeAll(async () => {
  packageDir = await mkdtemp(path.join(tmpdir(), 'inet-swarm-package-'));
  const osls = path.join(repoRoot, 'node_modules/.bin/osls');
  await run(osls, ['package', '--stage', STAGE, '--region', REGION, '--package', packageDir], {
    cwd: repoRoot,
    // No credentials and no network are needed to package; make sure none are used.
    // The local-run overrides of serverless.yml must not leak into a deployable template.
    env: Object.fromEntries(
      Object.entries({
        ...process.env,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_PROFILE: '',
      }).filter(([name]) => !name.startsWith('INET_SWARM_LOCAL_')),
    ),
    maxBuffer: 64 * 1024 * 1024,
  });
  template = JSON.parse(
    await readFile(path.join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  const state = JSON.parse(await readFile(path.join(packageDir, 'serverless-state.json'), 'utf8')) as {
    service: { custom: typeof serviceCustom };
  };
  serviceCustom = state.service.custom;
}, 600_000);

afterAll(async () => {
  if (packageDir !== '') await rm(packageDir, { recursive: true, force: true });
});

describe('serverless.yml packaged by osls', () => {
  it('has every function, a CJS bundle that loads in a bare Node with its environment and exports handler', async () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual(Object.keys(FUNCTIONS).map(logicalIdOf).sort());
    for (const [key, folder] of Object.entries(FUNCTIONS)) {
      const fn = resource(logicalIdOf(key));
      expect(fn.Properties?.Handler, key).toBe(`functions/${folder}/handler.handler`);
      expect(fn.Properties?.Runtime, key).toBe('nodejs24.x');
      expect(fn.Properties?.FunctionName, key).toBe(`inet-swarm-${STAGE}-${key}`);
      const zip = path.join(packageDir, `${key}.zip`);
      const bundle = `functions/${folder}/handler.cjs`;
      expect(await zipEntries(zip), key).toContain(bundle);

      // As Lambda would: the package alone (no node_modules anywhere above it), its working
      // directory, the function's environment with the CloudFormation values filled in, no credentials.
      const root = path.join(packageDir, 'unzipped', key);
      await unzip(zip, root);
      const variables = (fn.Properties?.Environment as { Variables: Record<string, Json> }).Variables;
      const env: Record<string, string> = { PATH: process.env.PATH ?? '', AWS_REGION: REGION };
      for (const [name, value] of Object.entries(variables)) env[name] = deployedValue(value);
      const probe = `const m = require('./${bundle}'); if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(3); }`;
      await expect(run(process.execPath, ['-e', probe], { cwd: root, env }), key).resolves.toBeDefined();
    }
  });

  it('ships the cluster template and the stack file with provision', async () => {
    const entries = await zipEntries(path.join(packageDir, 'provision.zip'));
    expect(entries).toEqual(expect.arrayContaining(['swarm/docker-stack.yml', 'swarm/cluster.cfn.yaml']));
    const env = resource('ProvisionLambdaFunction').Properties?.Environment as {
      Variables: Record<string, Json>;
    };
    expect(env.Variables.STACK_FILE).toBe('swarm/docker-stack.yml');
    expect(env.Variables.CLUSTER_TEMPLATE).toBe('swarm/cluster.cfn.yaml');
    expect(getAttTarget(env.Variables.CLUSTER_STACK_ROLE_ARN)).toBe('ClusterStackRole');
    // The packaged copies are the repository's files.
    for (const file of ['swarm/docker-stack.yml', 'swarm/cluster.cfn.yaml'])
      expect(await zipText(path.join(packageDir, 'provision.zip'), file)).toBe(
        await readFile(path.join(repoRoot, file), 'utf8'),
      );
  });

  it('deploys the campaign state machine from statemachines/campaign.asl.yaml unchanged, ARNs substituted', () => {
    const machines = resourcesOfType('AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(1);
    const [, machine] = machines[0] ?? ['', resource('CampaignStateMachine')];
    expect(machine.Properties?.StateMachineName).toBe(STATE_MACHINE_NAME);
    const definitionString = machine.Properties?.DefinitionString;
    expect(typeof definitionString, 'a plain string, not an Fn::Sub the plugin rewrote').toBe('string');
    expect(JSON.parse(definitionString as string)).toEqual(parse(readCampaignAsl()));
    expect(path.relative(repoRoot, CAMPAIGN_ASL)).toBe('statemachines/campaign.asl.yaml');

    const substitutions = machine.Properties?.DefinitionSubstitutions as Record<string, Json>;
    expect(Object.keys(substitutions).sort()).toEqual(placeholders());
    for (const [placeholder, value] of Object.entries(substitutions)) {
      const key = placeholder.replace(/FunctionArn$/, '');
      expect(getAttTarget(value), placeholder).toBe(`${key}LambdaFunction`);
      expect(resource(`${key}LambdaFunction`).Type).toBe('AWS::Lambda::Function');
    }
  });

  it('lets the state machine invoke its step functions and nothing else', () => {
    const machine = resource('CampaignStateMachine');
    const roleId = getAttTarget(machine.Properties?.RoleArn);
    expect(roleId).toBeDefined();
    const role = resource(roleId ?? '');
    expect(JSON.stringify(role.Properties?.AssumeRolePolicyDocument)).toContain('states.amazonaws.com');
    const statements = statementsOfRole(roleId ?? '');
    expect(statements.flatMap((s) => asArray(s.Action))).toEqual(['lambda:InvokeFunction']);
    const invocable = statements.flatMap((s) => asArray(s.Resource as Json[]).map(getAttTarget));
    expect(invocable.sort()).toEqual(STEP_FUNCTIONS.map(logicalIdOf).sort());
  });

  it('serves every route of lib/aws/api-contract.ts with IAM authorisation, to the api function', async () => {
    const contract = await readFile(path.join(repoRoot, 'lib/aws/api-contract.ts'), 'utf8');
    const contractRoutes = [...contract.matchAll(/^\s*\*\s+(GET|POST|PUT|PATCH|DELETE)\s+(\/\S*)/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(contractRoutes.length).toBeGreaterThanOrEqual(8);
    const routes = resourcesOfType('AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties?.RouteKey).sort()).toEqual(contractRoutes.sort());
    for (const [id, route] of routes) {
      expect(route.Properties?.AuthorizationType, id).toBe('AWS_IAM');
      expect(route.Properties?.AuthorizerId, id).toBeUndefined();
    }
    const integrations = resourcesOfType('AWS::ApiGatewayV2::Integration');
    expect(integrations).toHaveLength(1);
    const [, integration] = integrations[0] ?? ['', resource('HttpApiIntegrationApi')];
    expect(integration.Properties?.PayloadFormatVersion).toBe('2.0');
    expect(getAttTarget(integration.Properties?.IntegrationUri)).toBe('ApiLambdaFunction');
  });

  it('keeps the bucket private, encrypted, TLS-only, and expiring what the lifecycle rules name', () => {
    const buckets = resourcesOfType('AWS::S3::Bucket').filter(([id]) => id !== 'ServerlessDeploymentBucket');
    expect(buckets).toHaveLength(1);
    const [bucketId, bucket] = buckets[0] ?? ['', resource('ControlPlaneBucket')];
    const props = bucket.Properties ?? {};
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const sse = (props.BucketEncryption as { ServerSideEncryptionConfiguration: Json[] })
      .ServerSideEncryptionConfiguration;
    expect(sse).toEqual([{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }]);

    const rules = (props.LifecycleConfiguration as { Rules: Record<string, Json>[] }).Rules;
    const expiry = (prefix: string) =>
      rules.find((r) => r.Prefix === prefix && r.Status === 'Enabled')?.ExpirationInDays;
    expect(expiry(SOURCES_PREFIX)).toBe(30);
    expect(expiry(DATA_PREFIX)).toBe(90);
    const abort = rules.find((r) => r.AbortIncompleteMultipartUpload !== undefined);
    expect(abort).toMatchObject({
      Status: 'Enabled',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    });
    // The abort rule covers the whole bucket.
    expect(abort?.Prefix ?? '').toBe('');
    // Nothing else expires: campaigns/ and schedules/ are the user's.
    expect(rules).toHaveLength(3);

    const policies = resourcesOfType('AWS::S3::BucketPolicy').filter(
      ([, p]) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: bucketId }),
    );
    expect(policies).toHaveLength(1);
    const statements = (policies[0]?.[1].Properties?.PolicyDocument as unknown as { Statement: Statement[] })
      .Statement;
    const tls = statements.find((s) => s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
    expect(tls).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 's3:*' });
    const tlsResources = asArray(tls?.Resource as Json[]).map(subText);
    const bucketName = subText(props.BucketName);
    expect(tlsResources.sort()).toEqual([
      `arn:\${AWS::Partition}:s3:::${bucketName}`,
      `arn:\${AWS::Partition}:s3:::${bucketName}/*`,
    ]);
    // No statement grants anything: the bucket policy only refuses.
    expect(statements.every((s) => s.Effect === 'Deny')).toBe(true);
  });

  it('starts a campaign from a spec dropped under campaigns/ through the bucket notification', () => {
    const [, bucket] =
      resourcesOfType('AWS::S3::Bucket').find(([id]) => id !== 'ServerlessDeploymentBucket') ?? [];
    const lambdas = (
      bucket?.Properties?.NotificationConfiguration as { LambdaConfigurations: Record<string, Json>[] }
    ).LambdaConfigurations;
    expect(lambdas).toHaveLength(1);
    expect(lambdas[0]).toEqual({
      Event: 's3:ObjectCreated:*',
      Function: { 'Fn::GetAtt': ['StartFromBucketLambdaFunction', 'Arn'] },
      Filter: {
        S3Key: {
          Rules: [
            { Name: 'prefix', Value: TRIGGER_PREFIX },
            { Name: 'suffix', Value: '.json' },
          ],
        },
      },
    });
    const permissions = resourcesOfType('AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties?.Principal === 's3.amazonaws.com',
    );
    expect(permissions).toHaveLength(1);
    const permission = permissions[0]?.[1].Properties ?? {};
    expect(getAttTarget(permission.FunctionName)).toBe('StartFromBucketLambdaFunction');
    expect(permission.SourceAccount).toEqual({ Ref: 'AWS::AccountId' });
    expect(subText(permission.SourceArn)).toBe(
      `arn:\${AWS::Partition}:s3:::${subText(bucket?.Properties?.BucketName)}`,
    );
    // The bucket's notification is checked against this permission when it is created.
    expect(asArray(bucket?.DependsOn)).toContain(permissions[0]?.[0]);
  });

  it('sweeps every 10 minutes, has a disabled example schedule, and catches executions that end badly', () => {
    const rules = resourcesOfType('AWS::Events::Rule');
    const targetOf = (r: Resource) => getAttTarget((r.Properties?.Targets as Record<string, Json>[])[0]?.Arn);
    const ruleFor = (fn: string) =>
      rules.filter(([, r]) => targetOf(r) === logicalIdOf(fn)).map(([, r]) => r);

    const [sweeper] = ruleFor('sweeper');
    expect(sweeper?.Properties).toMatchObject({ ScheduleExpression: 'rate(10 minutes)', State: 'ENABLED' });

    const [scheduled] = ruleFor('startScheduled');
    expect(scheduled?.Properties?.State).toBe('DISABLED');
    expect(scheduled?.Properties?.ScheduleExpression).toMatch(/^(cron|rate)\(/);
    // What the rule sends is what functions/start-scheduled accepts, with the event's id for retries.
    const transformer = (scheduled?.Properties?.Targets as { InputTransformer?: Record<string, Json> }[])[0]
      ?.InputTransformer;
    expect(transformer?.InputPathsMap).toEqual({ id: '$.id' });
    const inputTemplate = transformer?.InputTemplate;
    expect(typeof inputTemplate).toBe('string');
    const sent = JSON.parse((inputTemplate as string).replace('<id>', '"event-1"')) as unknown;
    const event = scheduleEventSchema.parse(sent);
    expect(event).toEqual({ schedule: 'example', id: 'event-1' });
    // The handler reads schedules/<schedule>.json.
    expect(`${SCHEDULES_PREFIX}${event.schedule}.json`).toBe('schedules/example.json');

    const [ended] = ruleFor('onExecutionEnd');
    const pattern = ended?.Properties?.EventPattern as {
      source: string[];
      'detail-type': string[];
      detail: { status: string[]; stateMachineArn: Json[] };
    };
    expect(pattern.source).toEqual(['aws.states']);
    expect(pattern['detail-type']).toEqual(['Step Functions Execution Status Change']);
    expect([...pattern.detail.status].sort()).toEqual(['ABORTED', 'FAILED', 'TIMED_OUT']);
    expect(pattern.detail.stateMachineArn.map(subText)).toEqual([
      `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${STATE_MACHINE_NAME}`,
    ]);
    expect(rules).toHaveLength(3);
  });

  it('names the bucket and the state machine ARN in the functions exactly as they are deployed', () => {
    const expectedArn = `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${STATE_MACHINE_NAME}`;
    const bucketName = resource('ControlPlaneBucket').Properties?.BucketName;
    for (const key of Object.keys(FUNCTIONS)) {
      const env = resource(logicalIdOf(key)).Properties?.Environment as { Variables: Record<string, Json> };
      expect(env.Variables.STAGE, key).toBe(STAGE);
      expect(env.Variables.BUCKET, key).toEqual(bucketName);
      if (['api', 'startFromBucket', 'startScheduled', 'sweeper'].includes(key))
        expect(subText(env.Variables.STATE_MACHINE_ARN), key).toBe(expectedArn);
      else expect(env.Variables.STATE_MACHINE_ARN, key).toBeUndefined();
    }
  });

  it('gives every function its own role, and no policy a wildcard action outside the documented list', () => {
    const roles = Object.keys(FUNCTIONS).map((key) =>
      getAttTarget(resource(logicalIdOf(key)).Properties?.Role),
    );
    expect(new Set(roles).size).toBe(Object.keys(FUNCTIONS).length);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    for (const role of roles)
      expect(JSON.stringify(resource(role ?? '').Properties?.AssumeRolePolicyDocument)).toContain(
        'lambda.amazonaws.com',
      );
    // No custom resources: each would bring a Lambda and a role of its own.
    expect(Object.values(template.Resources).filter((r) => r.Type.startsWith('Custom::'))).toEqual([]);

    const allowed = serviceCustom.allowedWildcardActions ?? [];
    expect(allowed.length).toBeGreaterThan(0);
    // The documented exceptions are read-only themselves.
    for (const action of allowed) expect(action).toMatch(/^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]*\*$/);

    const owners = identityPolicies();
    expect(owners.length).toBeGreaterThan(Object.keys(FUNCTIONS).length);
    const usedWildcards = new Set<string>();
    for (const { logicalId, statements } of owners) {
      expect(statements.length, logicalId).toBeGreaterThan(0);
      for (const statement of statements) {
        const where = `${logicalId} ${statement.Sid ?? JSON.stringify(statement.Action)}`;
        expect(statement.NotAction, where).toBeUndefined();
        if (statement.Effect === 'Allow') expect(statement.NotResource, where).toBeUndefined();
        for (const action of asArray(statement.Action)) {
          expect(action, where).not.toBe('*');
          expect(action, where).not.toMatch(/^[^:]+:\*$/);
          if (action.includes('*')) {
            expect(allowed, where).toContain(action);
            usedWildcards.add(action);
          }
        }
      }
    }
    // The list holds nothing nobody uses.
    expect([...usedWildcards].sort()).toEqual([...allowed].sort());
  });

  it('lets provision create the cluster only through the cluster stack role', () => {
    const statements = statementsOfRole('ProvisionRole');
    const actions = statements.flatMap((s) => asArray(s.Action));
    expect(actions).toContain('cloudformation:CreateStack');
    const pass = statements.find((s) => asArray(s.Action).includes('iam:PassRole'));
    expect(getAttTarget(pass?.Resource)).toBe('ClusterStackRole');
    expect(pass?.Condition?.StringEquals?.['iam:PassedToService']).toBe('cloudformation.amazonaws.com');
    // None of what the cluster is made of: CloudFormation does that with ClusterStackRole.
    for (const action of actions)
      expect(action).not.toMatch(/^(ec2|autoscaling|cloudwatch):|^iam:(?!PassRole$)/);
    const stackRole = resource('ClusterStackRole');
    expect(JSON.stringify(stackRole.Properties?.AssumeRolePolicyDocument)).toContain(
      'cloudformation.amazonaws.com',
    );
    // Stack operations are scoped to this stage's cluster stacks.
    for (const s of statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('cloudformation:'))))
      expect(subText(s.Resource)).toMatch(new RegExp(`:stack/inet-swarm-${STAGE}-\\*/\\*$`));
  });

  it("lets checkTeardown and the sweeper purge this stage's cluster parameters and no others", () => {
    const stacksParameters = `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/inet-swarm/inet-swarm-${STAGE}-*`;
    const purging = (s: Statement) =>
      asArray(s.Action).some((a) => a === 'ssm:GetParametersByPath' || a === 'ssm:DeleteParameters');
    for (const role of ['CheckTeardownRole', 'SweeperRole']) {
      const purge = statementsOfRole(role).filter(purging);
      expect(
        purge.map((s) => [asArray(s.Action).sort(), subText(s.Resource)]),
        role,
      ).toEqual([[['ssm:DeleteParameters', 'ssm:GetParametersByPath'], stacksParameters]]);
    }
    // GetParametersByPath is authorised against the path asked for: no role may ask above a stack's.
    for (const { logicalId, statements } of identityPolicies())
      for (const statement of statements.filter(purging))
        expect(subText(statement.Resource), logicalId).toBe(stacksParameters);
    // The sweeper finds leftovers by name (metadata only); nobody gets values that way.
    const finding = identityPolicies().filter(({ statements }) =>
      statements.some((s) => asArray(s.Action).includes('ssm:DescribeParameters')),
    );
    expect(finding.map((owner) => owner.logicalId)).toEqual(['SweeperRole']);
  });

  it('passes cfn-lint with no errors and only the accepted warnings', async () => {
    const file = path.join(packageDir, 'cloudformation-template-update-stack.json');
    let stdout: string;
    try {
      ({ stdout } = await run('cfn-lint', ['--format', 'json', '-t', file], { maxBuffer: 64 * 1024 * 1024 }));
    } catch (error) {
      const failed = error as { code?: unknown; stdout?: string };
      if (failed.code === 'ENOENT')
        throw new Error('cfn-lint is not installed: run scripts/ensure-aws-tools.sh');
      // cfn-lint exits non-zero when it found anything; the findings are on stdout.
      stdout = failed.stdout ?? '';
    }
    const findings = JSON.parse(stdout) as { Level: string; Rule: { Id: string }; Message: string }[];
    const unexpected = findings.filter(
      (f) => f.Level === 'Error' || (f.Level === 'Warning' && !ACCEPTED_CFN_LINT_WARNINGS.has(f.Rule.Id)),
    );
    expect(unexpected.map((f) => `${f.Rule.Id}: ${f.Message}`)).toEqual([]);
  });
});
