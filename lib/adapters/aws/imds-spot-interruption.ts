/**
 * Watches for the two-minute spot interruption notice in the EC2 instance metadata service, so a
 * worker can stop taking runs and hand back the one it holds before its instance is reclaimed. Uses
 * IMDSv2 (a session token first), which the cluster template requires. Off EC2, or with the metadata
 * service blocked, every request fails fast (short timeout) and the watcher stays silent: not being
 * able to see a notice must not stop the work it protects.
 *
 * No SDK client: the SDK's metadata client (@aws-sdk/ec2-metadata-service) is not a dependency, and
 * two HTTP requests through global fetch are all this needs.
 */
import { z } from 'zod';

/** What IMDS answers on `spot/instance-action` once the instance is scheduled for interruption. */
export interface SpotInterruptionNotice {
  /** `terminate`, `stop` or `hibernate`. */
  readonly action: string;
  /** When it happens, ISO 8601 (UTC), about two minutes after the notice. */
  readonly time: string;
}

export interface SpotInterruptionWatcherOptions {
  /** The metadata service; tests point it at a local server. */
  readonly baseUrl?: string;
  /** Between two looks; AWS suggests every 5 seconds. */
  readonly intervalMs?: number;
  /** Per request: the link-local service answers in milliseconds when it is there at all. */
  readonly requestTimeoutMs?: number;
  /** Lifetime asked for the IMDSv2 session token. */
  readonly tokenTtlSeconds?: number;
}

const noticeSchema = z.object({ action: z.string().min(1), time: z.string().min(1) });

export class SpotInterruptionWatcher {
  private readonly baseUrl: string;
  private readonly intervalMs: number;
  private readonly requestTimeoutMs: number;
  private readonly tokenTtlSeconds: number;
  private readonly callbacks: ((notice: SpotInterruptionNotice) => void)[] = [];
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private token: { value: string; expiresAt: number } | null = null;
  private notice: SpotInterruptionNotice | null = null;

  constructor(options: SpotInterruptionWatcherOptions = {}) {
    this.baseUrl = (options.baseUrl ?? 'http://169.254.169.254').replace(/\/+$/, '');
    this.intervalMs = options.intervalMs ?? 5000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 1000;
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 21_600;
  }

  /** Starts polling (at once, then every interval); a second call does nothing. */
  start(): this {
    if (this.started || this.abort.signal.aborted) return this;
    this.started = true;
    this.schedule(0);
    return this;
  }

  /**
   * `callback` is called once, with the first notice seen (at once if it was seen already). Polling
   * stops with the notice: the interruption is certain from then on.
   */
  onNotice(callback: (notice: SpotInterruptionNotice) => void): void {
    const notice = this.notice;
    if (notice !== null) setImmediate(() => callback(notice));
    else this.callbacks.push(callback);
  }

  /** Stops polling and abandons a request in flight. */
  stop(): void {
    this.abort.abort();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    if (this.abort.signal.aborted) return;
    // Unreferenced: a watcher alone must not keep the process alive.
    this.timer = setTimeout(() => void this.poll(), delayMs).unref();
  }

  private async poll(): Promise<void> {
    const notice = await this.check().catch(() => null);
    if (notice === null) return this.schedule(this.intervalMs);
    if (this.abort.signal.aborted) return;
    this.notice = notice;
    this.stop();
    // Outside this poll, so a callback that throws is reported as the bug it is, not swallowed here.
    for (const callback of this.callbacks.splice(0)) setImmediate(() => callback(notice));
  }

  /** The notice, or null when there is none (404) or IMDS did not give a usable answer. */
  private async check(): Promise<SpotInterruptionNotice | null> {
    const token = await this.sessionToken();
    const response = await fetch(`${this.baseUrl}/latest/meta-data/spot/instance-action`, {
      headers: { 'X-aws-ec2-metadata-token': token },
      signal: this.signal(),
    });
    const body = await response.text();
    if (response.status === 401) this.token = null; // expired or revoked: ask for a new one next time
    if (response.status !== 200) return null;
    const parsed = noticeSchema.safeParse(JSON.parse(body));
    return parsed.success ? { action: parsed.data.action, time: parsed.data.time } : null;
  }

  private async sessionToken(): Promise<string> {
    if (this.token !== null && Date.now() < this.token.expiresAt) return this.token.value;
    const response = await fetch(`${this.baseUrl}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': String(this.tokenTtlSeconds) },
      signal: this.signal(),
    });
    const value = await response.text();
    if (!response.ok) throw new Error(`IMDS refused a session token: ${response.status}`);
    // Renewed well before it lapses, so a poll never presents an expired token.
    this.token = { value, expiresAt: Date.now() + (this.tokenTtlSeconds * 1000) / 2 };
    return value;
  }

  private signal(): AbortSignal {
    return AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.requestTimeoutMs)]);
  }
}
