/**
 * The campaign state machine's shape: valid ASL, the states and paths of lib/aws/workflow-state.ts,
 * a way to Teardown from everything that runs after resources may exist, bounded waits, and error
 * names that are the contract of lib/aws/errors.ts. Then the definition executed by
 * aws-local-stepfunctions with stub functions, to prove the success path and that every failure
 * path ends in Teardown and in the Fail state of its error.
 */
import { createRequire } from 'node:module';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import {
  buildOutputSchema,
  fanOutOutputSchema,
  HEARTBEAT_INTERVAL_SECONDS,
  PROGRESS_INTERVAL_SECONDS,
  progressOutputSchema,
} from '../../lib/aws/agent-protocol.js';
import { campaignLimitsSchema } from '../../lib/aws/campaign-spec.js';
import * as errors from '../../lib/aws/errors.js';
import {
  agentTaskInputSchema,
  validatedLimitsSchema,
  workflowStateSchema,
} from '../../lib/aws/workflow-state.js';
import {
  loadCampaignDefinition,
  placeholders,
  readCampaignAsl,
  type AslDefinition,
  type AslState,
  type Retrier,
} from './campaign-definition.js';

interface AslValidation {
  isValid: boolean;
  errorsText: (separator?: string) => string;
}
// asl-validator ships no types.
const aslValidator = createRequire(import.meta.url)('asl-validator') as (
  definition: unknown,
) => AslValidation;

/** Every error name lib/aws/errors.ts defines, read from instances as Step Functions will see them. */
const ERROR_NAMES: ReadonlySet<string> = new Set(
  Object.values(errors as Record<string, unknown>)
    .filter((value): value is new (message: string) => Error => typeof value === 'function')
    .map((ErrorClass) => new ErrorClass('').name),
);
/** Fail errors that are not ours: Step Functions' own timeouts, and the catch-all. */
const OTHER_FAIL_ERRORS = new Set(['States.Timeout', 'States.HeartbeatTimeout', 'CampaignFailed']);
const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

const MAIN_PATH = [
  'Validate',
  'Provision',
  'WaitForSwarm',
  'DeployStack',
  'Build',
  'FanOut',
  'WaitForRuns',
  'CheckBudget',
  'RunsFinal',
  'IdleGrace',
  'Teardown',
  'CheckTeardown',
  'Outcome',
] as const;
const TEARDOWN_STATES = new Set(['Teardown', 'CheckTeardown']);
const CALLBACK_STATES = { Build: 'build', FanOut: 'fan-out', WaitForRuns: 'progress' } as const;
/** Where each Task state stores its result (lib/aws/workflow-state.ts). */
const RESULT_PATHS: Readonly<Record<string, string | null>> = {
  Validate: '$.limits',
  Provision: '$.cluster',
  WaitForSwarm: '$.swarm',
  DeployStack: null,
  Build: '$.build',
  FanOut: '$.fanOut',
  WaitForRuns: '$.progress',
  CheckBudget: '$.meter',
  Teardown: null,
  CheckTeardown: null,
};
/** The failure a Catch stored, by error name -> the Fail state's Error. */
const TYPED_FAILURES: Readonly<Record<string, string>> = {
  ClusterProvisionFailed: 'ClusterProvisionFailed',
  ClusterNotReady: 'ClusterProvisionFailed',
  BuildFailed: 'BuildFailed',
  PlanFailed: 'PlanFailed',
  BudgetExceeded: 'BudgetExceeded',
  LifetimeExceeded: 'LifetimeExceeded',
  CampaignCancelled: 'CampaignCancelled',
  SwarmLost: 'SwarmLost',
  'States.Timeout': 'States.Timeout',
  'States.HeartbeatTimeout': 'States.HeartbeatTimeout',
};

const definition = loadCampaignDefinition();

function state(name: string): AslState {
  const found = definition.States[name];
  if (found === undefined) throw new Error(`the definition has no state ${name}`);
  return found;
}

/** States reachable from `from` through Next, Default, Choices and Catch. */
function reachableFrom(from: string, def: AslDefinition = definition): Set<string> {
  const seen = new Set<string>();
  const queue = [from];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const s = def.States[name];
    if (s === undefined) continue;
    const next = [
      s.Next,
      s.Default,
      ...(s.Choices ?? []).map((c) => c.Next),
      ...(s.Catch ?? []).map((c) => c.Next),
    ];
    for (const n of next) if (n !== undefined) queue.push(n);
  }
  return seen;
}

/** The longest a retrier waits in total before it gives up, in seconds. */
function totalRetrySeconds(retrier: Retrier): number {
  const attempts = retrier.MaxAttempts ?? 3;
  let total = 0;
  for (let i = 0; i < attempts; i++) {
    const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** i;
    total += Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
  }
  return total;
}

function retrierFor(s: AslState, error: string): Retrier | undefined {
  return s.Retry?.find((r) => r.ErrorEquals.includes(error));
}

describe('statemachines/campaign.asl.yaml', () => {
  it('is valid ASL once its placeholders are substituted', () => {
    // asl-validator writes defaults into what it checks: give it a copy.
    const result = aslValidator(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('uses one Lambda ARN placeholder per step function, and only in FunctionName', () => {
    expect(placeholders()).toEqual([
      'AgentTaskFunctionArn',
      'CheckBudgetFunctionArn',
      'CheckTeardownFunctionArn',
      'DeployStackFunctionArn',
      'ProvisionFunctionArn',
      'TeardownFunctionArn',
      'ValidateFunctionArn',
      'WaitForSwarmFunctionArn',
    ]);
    const raw = readCampaignAsl();
    const placeholderLines = raw
      .split('\n')
      .filter((line) => /\$\{[A-Za-z]/.test(line) && !/^\s*#/.test(line));
    for (const line of placeholderLines)
      expect(line).toMatch(/^\s*FunctionName: \$\{[A-Za-z]+FunctionArn\}$/);
    for (const [name, s] of Object.entries(definition.States)) {
      if (s.Type !== 'Task') continue;
      const expected = name in CALLBACK_STATES ? 'AgentTask' : name;
      expect(s.Parameters?.FunctionName, name).toMatch(new RegExp(`:function:inet-swarm-test-${expected}$`));
    }
  });

  it('is JSONPath only (aws-local-stepfunctions ignores JSONata)', () => {
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const s of Object.values(definition.States)) expect(s.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(readCampaignAsl()).not.toMatch(/\{%/);
  });

  it('runs Validate -> ... -> Teardown -> CheckTeardown -> Outcome, looping WaitForRuns until every run is final', () => {
    expect(definition.StartAt).toBe('Validate');
    const linear = MAIN_PATH.slice(0, MAIN_PATH.indexOf('RunsFinal'));
    for (const [i, name] of linear.entries()) expect(state(name).Next, name).toBe(MAIN_PATH[i + 1]);
    const runsFinal = state('RunsFinal');
    expect(runsFinal.Type).toBe('Choice');
    expect(runsFinal.Choices).toEqual([
      { Variable: '$.meter.allFinal', BooleanEquals: true, Next: 'IdleGrace' },
    ]);
    expect(runsFinal.Default).toBe('WaitForRuns');
    expect(state('IdleGrace')).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.limits.idleGraceSeconds',
      Next: 'Teardown',
    });
    expect(state('Teardown').Next).toBe('CheckTeardown');
    expect(state('CheckTeardown').Next).toBe('Outcome');
    // Nothing is unreachable.
    expect([...reachableFrom('Validate')].sort()).toEqual(Object.keys(definition.States).sort());
  });

  it('stores each result where lib/aws/workflow-state.ts expects it', () => {
    const stateKeys = Object.keys(workflowStateSchema.shape);
    for (const [name, resultPath] of Object.entries(RESULT_PATHS)) {
      expect(state(name).ResultPath, name).toBe(resultPath);
      if (resultPath !== null) expect(stateKeys).toContain(resultPath.slice(2));
    }
    // Plain Lambda results are the Payload's fields, exactly those of the schema.
    const selected = (name: string) =>
      Object.fromEntries(
        Object.entries(state(name).ResultSelector ?? {}).map(([k, v]) => [k.replace(/\.\$$/, ''), v]),
      );
    const payloadFields = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, `$.Payload.${k}`]));
    expect(selected('Validate')).toEqual(payloadFields(Object.keys(validatedLimitsSchema.shape)));
    expect(selected('Provision')).toEqual(
      payloadFields(Object.keys(workflowStateSchema.shape.cluster.unwrap().shape)),
    );
    expect(selected('WaitForSwarm')).toEqual(
      payloadFields(Object.keys(workflowStateSchema.shape.swarm.unwrap().shape)),
    );
    expect(selected('CheckBudget')).toEqual(
      payloadFields(Object.keys(workflowStateSchema.shape.meter.unwrap().shape)),
    );
    for (const name of [
      'Validate',
      'Provision',
      'WaitForSwarm',
      'DeployStack',
      'CheckBudget',
      'Teardown',
      'CheckTeardown',
    ])
      expect(state(name)).toMatchObject({
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { 'Payload.$': '$' },
      });
  });

  it('catches every failure from Provision on into Teardown, with the error under $.failure', () => {
    const afterProvision = reachableFrom('Provision');
    const guarded = Object.entries(definition.States).filter(
      ([name, s]) => afterProvision.has(name) && s.Type === 'Task' && !TEARDOWN_STATES.has(name),
    );
    expect(guarded.map(([name]) => name).sort()).toEqual(
      ['Provision', 'WaitForSwarm', 'DeployStack', 'Build', 'FanOut', 'WaitForRuns', 'CheckBudget'].sort(),
    );
    for (const [name, s] of guarded) {
      const last = s.Catch?.at(-1);
      expect(last, name).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Teardown' });
      // No other catcher bypasses Teardown.
      for (const c of s.Catch ?? []) expect(c.Next, name).toBe('Teardown');
    }
    // Nothing else can fail on the way: no other kinds of states after Provision.
    for (const name of afterProvision) {
      const type = state(name).Type;
      expect(['Task', 'Choice', 'Wait', 'Succeed', 'Fail'], name).toContain(type);
    }
  });

  it('fails a campaign whose validation failed at once, without Provision or Teardown', () => {
    const validate = state('Validate');
    expect(validate.Catch?.length).toBeGreaterThan(0);
    for (const c of validate.Catch ?? []) {
      expect(state(c.Next).Type).toBe('Fail');
      expect(reachableFrom(c.Next).has('Teardown')).toBe(false);
    }
    expect(validate.Catch?.at(-1)?.ErrorEquals).toEqual(['States.ALL']);
    for (const error of ['CampaignSpecInvalid', 'CampaignCancelled']) {
      const catcher = validate.Catch?.find((c) => c.ErrorEquals.includes(error));
      expect(state(catcher?.Next ?? '').Error, error).toBe(error);
    }
  });

  it('ends a failing teardown in TeardownFailed instead of looping', () => {
    for (const name of TEARDOWN_STATES) {
      const catchers = state(name).Catch ?? [];
      expect(
        catchers.map((c) => c.ErrorEquals),
        name,
      ).toEqual([['States.ALL']]);
      const target = state(catchers[0]?.Next ?? '');
      expect(target).toMatchObject({ Type: 'Fail', Error: 'TeardownFailed' });
      // The original failure stays where Outcome and the history show it.
      expect(catchers[0]?.ResultPath).not.toBe('$.failure');
    }
    // Teardown is never re-entered from the teardown states.
    expect(reachableFrom('CheckTeardown').has('Teardown')).toBe(false);
  });

  it('gives the callback states a timeout and a heartbeat, and passes the agent its token and the state', () => {
    const callbacks = Object.entries(definition.States).filter(([, s]) =>
      s.Resource?.endsWith('.waitForTaskToken'),
    );
    expect(callbacks.map(([name]) => name).sort()).toEqual(Object.keys(CALLBACK_STATES).sort());
    expect(Object.values(CALLBACK_STATES).sort()).toEqual(
      [...agentTaskInputSchema.shape.command.options].sort(),
    );
    for (const [name, s] of callbacks) {
      expect(s.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(s.Parameters?.Payload, name).toEqual({
        command: CALLBACK_STATES[name as keyof typeof CALLBACK_STATES],
        'taskToken.$': '$$.Task.Token',
        'state.$': '$',
      });
      expect(s.TimeoutSeconds, name).toBeGreaterThan(0);
      expect(s.HeartbeatSeconds, name).toBeGreaterThanOrEqual(3 * HEARTBEAT_INTERVAL_SECONDS);
      expect(s.HeartbeatSeconds ?? Infinity, name).toBeLessThan(s.TimeoutSeconds ?? 0);
      // The task result is what the agent sent: no Payload to unwrap.
      expect(s.ResultSelector, name).toBeUndefined();
    }
    expect(state('Build').TimeoutSeconds).toBe(3 * 3600);
    expect(state('FanOut').TimeoutSeconds).toBe(30 * 60);
    expect(state('WaitForRuns').TimeoutSeconds).toBe(60 * 60);
    // The agent answers progress at least this often; the timeout leaves it several chances.
    expect(state('WaitForRuns').TimeoutSeconds).toBeGreaterThanOrEqual(5 * PROGRESS_INTERVAL_SECONDS);
  });

  it('polls WaitForSwarm for about 20 minutes and CheckTeardown for about 30, at a fixed interval', () => {
    const swarm = retrierFor(state('WaitForSwarm'), 'ClusterNotReady');
    expect(swarm).toMatchObject({ IntervalSeconds: 20, BackoffRate: 1 });
    expect(totalRetrySeconds(swarm ?? { ErrorEquals: [] })).toBeGreaterThanOrEqual(15 * 60);
    expect(totalRetrySeconds(swarm ?? { ErrorEquals: [] })).toBeLessThanOrEqual(25 * 60);

    const teardown = retrierFor(state('CheckTeardown'), 'TeardownPending');
    expect(teardown).toMatchObject({ IntervalSeconds: 15, BackoffRate: 1 });
    expect(totalRetrySeconds(teardown ?? { ErrorEquals: [] })).toBeGreaterThanOrEqual(25 * 60);
    expect(totalRetrySeconds(teardown ?? { ErrorEquals: [] })).toBeLessThanOrEqual(35 * 60);

    // DeployStack waits out a pending SSM command a few times, briefly.
    const deploy = retrierFor(state('DeployStack'), 'ClusterNotReady');
    expect(deploy?.MaxAttempts).toBeGreaterThanOrEqual(2);
    expect(totalRetrySeconds(deploy ?? { ErrorEquals: [] })).toBeLessThanOrEqual(15 * 60);
  });

  it('retries transient Lambda errors briefly on every task, and never the agent-reported failures', () => {
    for (const [name, s] of Object.entries(definition.States)) {
      if (s.Type !== 'Task') continue;
      for (const error of LAMBDA_TRANSIENT) {
        const retrier = retrierFor(s, error);
        expect(retrier, `${name} ${error}`).toBeDefined();
        expect(totalRetrySeconds(retrier ?? { ErrorEquals: [] }), name).toBeLessThanOrEqual(120);
      }
      for (const retrier of s.Retry ?? []) {
        expect(retrier.MaxAttempts, name).toBeDefined();
        expect(totalRetrySeconds(retrier), name).toBeLessThanOrEqual(35 * 60);
      }
    }
    for (const name of Object.keys(CALLBACK_STATES)) {
      const retried = (state(name).Retry ?? []).flatMap((r) => r.ErrorEquals);
      for (const error of retried) expect(error, name).toMatch(/^Lambda\./);
    }
  });

  it('names only errors that lib/aws/errors.ts, Lambda or Step Functions raise', () => {
    expect(ERROR_NAMES.size).toBeGreaterThan(10);
    for (const [name, s] of Object.entries(definition.States)) {
      for (const error of [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals)) {
        const known = ERROR_NAMES.has(error) || error.startsWith('States.') || error.startsWith('Lambda.');
        expect(known, `${name}: ${error}`).toBe(true);
      }
      if (s.Type === 'Fail') {
        expect(s.Cause, name).toMatch(/^[A-Z].*\.$/);
        const known = ERROR_NAMES.has(s.Error ?? '') || OTHER_FAIL_ERRORS.has(s.Error ?? '');
        expect(known, `${name}: ${s.Error}`).toBe(true);
      }
    }
  });

  it('ends in the Fail state of the caught error, CampaignFailed for any other, and succeeds without one', () => {
    const outcome = state('Outcome');
    expect(outcome.Choices).toEqual([{ Variable: '$.failure', IsPresent: true, Next: 'FailureKind' }]);
    expect(state(outcome.Default ?? '').Type).toBe('Succeed');
    const kind = state('FailureKind');
    const routes = new Map((kind.Choices ?? []).map((c) => [c.StringEquals, c.Next]));
    for (const c of kind.Choices ?? []) expect(c.Variable).toBe('$.failure.Error');
    for (const [caught, failError] of Object.entries(TYPED_FAILURES)) {
      const target = routes.get(caught);
      expect(target, caught).toBeDefined();
      expect(state(target ?? '')).toMatchObject({ Type: 'Fail', Error: failError });
    }
    expect(state(kind.Default ?? '')).toMatchObject({ Type: 'Fail', Error: 'CampaignFailed' });
  });

  it('outlives the longest campaign the platform allows, so LifetimeExceeded reaches Teardown first', () => {
    const maxLifetimeMinutes = campaignLimitsSchema.shape.maxLifetimeMinutes.unwrap().maxValue ?? Infinity;
    const maxIdleGraceMinutes = campaignLimitsSchema.shape.idleGraceMinutes.unwrap().maxValue ?? Infinity;
    expect(maxLifetimeMinutes).toBe(7 * 24 * 60);
    // Lifetime, then one progress round, the idle grace and the whole teardown poll.
    const needed =
      maxLifetimeMinutes * 60 +
      (state('WaitForRuns').TimeoutSeconds ?? 0) +
      maxIdleGraceMinutes * 60 +
      totalRetrySeconds(retrierFor(state('CheckTeardown'), 'TeardownPending') ?? { ErrorEquals: [] });
    expect(definition.TimeoutSeconds).toBeGreaterThanOrEqual(needed);
    expect(definition.TimeoutSeconds).toBeLessThanOrEqual(maxLifetimeMinutes * 60 + 3 * 3600);
  });
});

// ------------------------------------------------------------------ executed

type Step = (input: unknown) => unknown;

interface Execution {
  readonly output: unknown;
  readonly error: string | null;
  readonly calls: readonly string[];
}

const limits = { idleGraceSeconds: 0, maxLifetimeSeconds: 3600, startedAt: '2026-01-01T00:00:00.000Z' };
const progress = (allFinal: boolean) =>
  progressOutputSchema.parse({
    total: 2,
    ok: allFinal ? 2 : 1,
    failed: 0,
    finished: allFinal ? 2 : 1,
    remainingSeconds: allFinal ? 0 : 30,
    allFinal,
  });

function failing(name: string): Step {
  return () => {
    const error = new Error(`stub ${name}`);
    error.name = name;
    throw error;
  };
}

/** Plain Lambda tasks answer `{ Payload }` as lambda:invoke does; callback tasks answer the agent's output. */
function healthySteps(): Record<string, Step> {
  let progressCalls = 0;
  return {
    Validate: () => ({ Payload: limits }),
    Provision: () => ({ Payload: { stackName: 'inet-swarm-test-campaign-1' } }),
    WaitForSwarm: () => ({ Payload: { nodes: 3, managerAddress: '10.0.0.5' } }),
    DeployStack: () => ({ Payload: null }),
    Build: () =>
      buildOutputSchema.parse({ artifactKey: 'artifacts/x', compiles: 12, durationMs: 1000, reused: false }),
    FanOut: () => fanOutOutputSchema.parse({ totalRuns: 2 }),
    WaitForRuns: () => progress(++progressCalls >= 2),
    CheckBudget: (input) => {
      const allFinal = (input as { Payload: { progress: { allFinal: boolean } } }).Payload.progress.allFinal;
      return { Payload: { allFinal, soFarUsd: 0.5, projectedUsd: 0.6 } };
    },
    Teardown: () => ({ Payload: null }),
    CheckTeardown: () => ({ Payload: null }),
  };
}

async function execute(overrides: Record<string, Step> = {}): Promise<Execution> {
  const def = loadCampaignDefinition();
  const calls: string[] = [];
  const steps = { ...healthySteps(), ...overrides };
  const handlers = Object.fromEntries(
    Object.entries(steps).map(([name, step]) => [
      name,
      (input: unknown) => {
        calls.push(name);
        return Promise.resolve(step(input)) as Promise<never>;
      },
    ]),
  );
  const machine = new StateMachine(def as unknown as StateMachineDefinition);
  const run = machine.run(
    { campaignId: 'campaign-1' },
    {
      context: { Task: { Token: 'token-1' } },
      overrides: {
        taskResourceLocalHandlers: handlers,
        waitTimeOverrides: { IdleGrace: 0 },
        retryIntervalOverrides: Object.fromEntries(Object.keys(def.States).map((name) => [name, 0])),
      },
    },
  );
  try {
    return { output: await run.result, error: null, calls };
  } catch (error) {
    const cause = (error as { cause?: { name?: string } }).cause;
    return { output: null, error: cause?.name ?? String(error), calls };
  }
}

describe('statemachines/campaign.asl.yaml executed (aws-local-stepfunctions, stub functions)', () => {
  it('succeeds after the runs are final, the idle grace and the teardown', async () => {
    const { output, error, calls } = await execute();
    expect(error).toBeNull();
    const final = workflowStateSchema.parse(output);
    expect(final).toMatchObject({
      campaignId: 'campaign-1',
      limits,
      cluster: { stackName: 'inet-swarm-test-campaign-1' },
    });
    expect(final.meter).toEqual({ allFinal: true, soFarUsd: 0.5, projectedUsd: 0.6 });
    expect(final.progress?.allFinal).toBe(true);
    expect(final.failure).toBeUndefined();
    expect(calls).toEqual([
      'Validate',
      'Provision',
      'WaitForSwarm',
      'DeployStack',
      'Build',
      'FanOut',
      'WaitForRuns',
      'CheckBudget',
      'WaitForRuns',
      'CheckBudget',
      'Teardown',
      'CheckTeardown',
    ]);
  });

  it.each([
    ['CampaignSpecInvalid', 'CampaignSpecInvalid'],
    ['CampaignCancelled', 'CampaignCancelled'],
    ['CampaignNotFound', 'CampaignFailed'],
  ])('fails a campaign whose Validate raised %s with %s, provisioning nothing', async (raised, failError) => {
    const { error, calls } = await execute({ Validate: failing(raised) });
    expect(error).toBe(failError);
    expect(calls).toEqual(['Validate']);
  });

  it.each([
    ['Provision', 'ClusterProvisionFailed', 'ClusterProvisionFailed'],
    ['WaitForSwarm', 'ClusterNotReady', 'ClusterProvisionFailed'],
    ['DeployStack', 'ClusterNotReady', 'ClusterProvisionFailed'],
    ['DeployStack', 'Error', 'CampaignFailed'],
    ['Build', 'BuildFailed', 'BuildFailed'],
    ['Build', 'States.HeartbeatTimeout', 'States.HeartbeatTimeout'],
    ['FanOut', 'PlanFailed', 'PlanFailed'],
    ['FanOut', 'States.Timeout', 'States.Timeout'],
    ['WaitForRuns', 'CampaignCancelled', 'CampaignCancelled'],
    ['WaitForRuns', 'SwarmLost', 'SwarmLost'],
    ['CheckBudget', 'BudgetExceeded', 'BudgetExceeded'],
    ['CheckBudget', 'LifetimeExceeded', 'LifetimeExceeded'],
    ['CheckBudget', 'Lambda.ServiceException', 'CampaignFailed'],
  ])('%s raising %s tears the cluster down and fails with %s', async (failingState, raised, failError) => {
    const { error, calls } = await execute({ [failingState]: failing(raised) });
    expect(error).toBe(failError);
    expect(calls.slice(-2)).toEqual(['Teardown', 'CheckTeardown']);
    expect(calls.filter((c) => c === 'Teardown')).toHaveLength(1);
  });

  it('gives up on a swarm that never forms after the bounded retries', async () => {
    const { calls } = await execute({ WaitForSwarm: failing('ClusterNotReady') });
    const attempts = (retrierFor(state('WaitForSwarm'), 'ClusterNotReady')?.MaxAttempts ?? 0) + 1;
    expect(calls.filter((c) => c === 'WaitForSwarm')).toHaveLength(attempts);
  });

  it('ends in TeardownFailed when the stack cannot be deleted, without another teardown', async () => {
    const deleteFailed = await execute({ CheckTeardown: failing('TeardownFailed') });
    expect(deleteFailed.error).toBe('TeardownFailed');
    expect(deleteFailed.calls.filter((c) => c === 'CheckTeardown')).toHaveLength(1);

    const neverGone = await execute({ CheckTeardown: failing('TeardownPending') });
    expect(neverGone.error).toBe('TeardownFailed');
    const attempts = (retrierFor(state('CheckTeardown'), 'TeardownPending')?.MaxAttempts ?? 0) + 1;
    expect(neverGone.calls.filter((c) => c === 'CheckTeardown')).toHaveLength(attempts);

    const teardownBroken = await execute({ Build: failing('BuildFailed'), Teardown: failing('Error') });
    expect(teardownBroken.error).toBe('TeardownFailed');
    expect(teardownBroken.calls).not.toContain('CheckTeardown');
  });
});
