/**
 * Step Functions' task-token callbacks for tests that execute the real ASL locally
 * (aws-local-stepfunctions has no SendTask* API of its own).
 *
 * - {@link LocalTaskTokens}: the tokens a callback state is waiting for, answered in-process.
 * - {@link startSfnCallbackEndpoint}: the same answers over real HTTP, in the Step Functions wire
 *   protocol (JSON 1.0, `X-Amz-Target: AWSStepFunctions.SendTask*`, SigV4-checked), so that an agent in a
 *   container answers with the real SfnTaskReporter and SDK client, pointed here by
 *   AWS_ENDPOINT_URL_SFN. A token nobody waits for gets `TaskTimedOut`, as from AWS.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TaskTokenExpiredError } from '../../lib/adapters/aws/sfn-task-reporter.js';
import type { TaskReporter } from '../../lib/ports/task-reporter.js';
import { signatureMatches } from './sigv4-verify.js';

/** Answers to task tokens, handed from the agent to the waiting callback state. */
export class LocalTaskTokens implements TaskReporter {
  private readonly pending = new Map<
    string,
    { resolve: (output: unknown) => void; reject: (error: Error) => void }
  >();
  /** Tokens answered, in order: `<token> succeed|fail:<error>`. */
  readonly answers: string[] = [];

  expect(token: string): Promise<unknown> {
    return new Promise((resolve, reject) => this.pending.set(token, { resolve, reject }));
  }
  /** Forgets a token, as Step Functions does when its state times out. */
  expire(token: string): void {
    this.pending.delete(token);
  }
  private take(token: string) {
    const waiter = this.pending.get(token);
    if (waiter === undefined) throw new TaskTokenExpiredError(`task token ${token} is not awaited`);
    this.pending.delete(token);
    return waiter;
  }
  succeed(token: string, output: unknown): Promise<void> {
    const waiter = this.take(token);
    this.answers.push(`${token} succeed`);
    waiter.resolve(output);
    return Promise.resolve();
  }
  fail(token: string, error: string, cause: string): Promise<void> {
    const waiter = this.take(token);
    this.answers.push(`${token} fail:${error}`);
    const failure = new Error(cause);
    failure.name = error;
    waiter.reject(failure);
    return Promise.resolve();
  }
  heartbeat(token: string): Promise<void> {
    if (!this.pending.has(token))
      return Promise.reject(new TaskTokenExpiredError(`task token ${token} is not awaited`));
    return Promise.resolve();
  }
}

export interface SfnCallbackEndpoint {
  /** For AWS_ENDPOINT_URL_SFN. */
  readonly url: string;
  /** Requests refused for a bad or missing signature. */
  readonly unsigned: number;
  stop(): Promise<void>;
}

const TARGET_PREFIX = 'AWSStepFunctions.';

/**
 * Serves SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat on `host` (an address the callers can
 * reach), relaying each to `tokens()` (the execution's current token registry).
 */
export async function startSfnCallbackEndpoint(options: {
  readonly host: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly tokens: () => TaskReporter;
}): Promise<SfnCallbackEndpoint> {
  let unsigned = 0;
  const reply = (response: http.ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify(body));
  };
  const error = (response: http.ServerResponse, status: number, type: string, message: string) =>
    reply(response, status, { __type: type, message });

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const signed = await signatureMatches(
          { method: request.method ?? '', url: request.url ?? '/', headers: request.headers, body },
          options.credentials,
          options.region,
          'states',
        ).catch(() => false);
        if (!signed) {
          unsigned++;
          return error(response, 403, 'InvalidSignatureException', 'the request signature does not match');
        }
        const target = String(request.headers['x-amz-target'] ?? '');
        const input = JSON.parse(body) as {
          taskToken?: string;
          output?: string;
          error?: string;
          cause?: string;
        };
        const token = input.taskToken ?? '';
        const tokens = options.tokens();
        try {
          switch (target.slice(TARGET_PREFIX.length)) {
            case 'SendTaskSuccess':
              await tokens.succeed(token, JSON.parse(input.output ?? 'null'));
              break;
            case 'SendTaskFailure':
              await tokens.fail(token, input.error ?? '', input.cause ?? '');
              break;
            case 'SendTaskHeartbeat':
              await tokens.heartbeat(token);
              break;
            default:
              return error(response, 400, 'UnknownOperationException', `not served here: ${target}`);
          }
          reply(response, 200, {});
        } catch (thrown) {
          if (thrown instanceof TaskTokenExpiredError)
            return error(response, 400, 'TaskTimedOut', 'Task Timed Out: the token is not awaited');
          error(response, 500, 'InternalFailure', String(thrown));
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    get unsigned() {
      return unsigned;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
