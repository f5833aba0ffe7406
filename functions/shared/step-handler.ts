/**
 * The shape of every function but the API: parse the event with zod, log with the campaign as
 * correlation key, call one step, return its result. Errors are logged and rethrown, never turned
 * into results: Step Functions' Retry and Catch (and Lambda's async retries) must see them, under
 * their names (lib/aws/errors.ts).
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { issueLines } from '../../lib/aws/campaign-spec.js';
import type { ClusterNotReadyError, TeardownPendingError } from '../../lib/aws/errors.js';
import type { Logger } from './log.js';

/** An event that does not have the shape the function expects (a wiring mistake, not a campaign's). */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEvent';
}

/** "Not yet" answers of polling steps: expected, so not logged as errors. */
const POLL_ERRORS: ReadonlySet<string> = new Set<ClusterNotReadyError['name'] | TeardownPendingError['name']>(
  ['ClusterNotReady', 'TeardownPending'],
);

export interface StepHandlerOptions<I, O> {
  readonly schema: z.ZodType<I>;
  /** Correlation keys for the log, from the parsed input. */
  correlate?(input: I): Record<string, unknown>;
  run(input: I, log: Logger, context: Context): Promise<O>;
}

export function stepHandler<I, O>(log: Logger, options: StepHandlerOptions<I, O>) {
  return middy<unknown, O, Error, Context>()
    .onError((request) => {
      const error = request.error;
      const fields = { ...correlationOf(request.event), requestId: request.context.awsRequestId, error };
      if (error instanceof Error && POLL_ERRORS.has(error.name)) log.info('not ready yet', fields);
      else log.error('failed', fields);
      // Nothing returned: middy rethrows the error.
    })
    .handler(async (event: unknown, context: Context): Promise<O> => {
      const parsed = options.schema.safeParse(event);
      if (!parsed.success)
        throw new InvalidEventError(`unexpected event:\n${issueLines(parsed.error).join('\n')}`, {
          cause: parsed.error,
        });
      const correlated = log.child({
        requestId: context.awsRequestId,
        ...options.correlate?.(parsed.data),
      });
      correlated.info('started');
      const output = await options.run(parsed.data, correlated, context);
      correlated.info('finished', { output });
      return output;
    });
}

const correlationSchema = z.union([
  z.object({ campaignId: z.string() }),
  z.object({ state: z.object({ campaignId: z.string() }) }).transform(({ state }) => state),
]);

/** The campaign an event is about, when it says so plainly (for logging a failure to parse it). */
function correlationOf(event: unknown): Record<string, unknown> {
  const parsed = correlationSchema.safeParse(event);
  return parsed.success ? { campaignId: parsed.data.campaignId } : {};
}
