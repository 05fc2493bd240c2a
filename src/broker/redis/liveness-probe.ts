/**
 * Liveness probe of a Pub/Sub subscription: publish a token on a channel this
 * instance subscribed to and wait for it to come back. "Publish works but
 * nothing arrives" means the subscriber looks connected and is not. Pure: the
 * transport is given as {@link ProbeTransport}; the caller acts on the outcome.
 */
import { withTimeout } from './timeout.js';

export interface ProbeTransport {
  /** The subscriber is connected and has every channel (else probing proves nothing yet). */
  subscriberReady(): boolean;
  /** Changes whenever the subscriber connects or drops: a probe spanning a change proves nothing. */
  subscriberEpoch(): number;
  /** Publishes the token on the probe channel; resolves with the number of receivers. */
  publish(token: string): Promise<number>;
}

/**
 * - `healthy`: the token came back in time.
 * - `not-ready`: the subscriber is down or still replaying its channels.
 * - `unreachable`: the publish failed (the bus is down; its client reconnects).
 * - `lost`: published, but nobody received it or it did not come back in time.
 * - `stale`: the subscriber changed meanwhile, or the probe was stopped: nothing proven.
 */
export type ProbeOutcome = 'healthy' | 'not-ready' | 'unreachable' | 'lost' | 'stale';

export class LivenessProbe {
  private seq = 0;
  private pending: { token: string; arrived: () => void } | undefined;
  private running: Promise<ProbeOutcome> | undefined;
  private stopped = false;
  /** Probes actually sent. */
  sent = 0;

  constructor(
    private readonly transport: ProbeTransport,
    private readonly timeoutMs: number,
  ) {}

  /** Runs a probe; concurrent callers share one run. */
  run(): Promise<ProbeOutcome> {
    if (this.stopped) return Promise.resolve('stale');
    this.running ??= this.runOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Resolves when the current run (if any) is over. */
  async settled(): Promise<void> {
    await this.running;
  }

  /** A payload arrived on the probe channel. */
  received(payload: string): void {
    if (this.pending?.token === payload) this.pending.arrived();
  }

  /** Forgets the token in flight: its run ends as `lost` or `stale` (the subscriber dropped). */
  cancel(): void {
    this.pending = undefined;
  }

  /** No more probes; a run in flight ends `stale`. */
  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private async runOnce(): Promise<ProbeOutcome> {
    if (!this.transport.subscriberReady()) return 'not-ready';
    const epoch = this.transport.subscriberEpoch();
    this.sent += 1;
    const token = `${++this.seq}:${Date.now()}`;
    let arrived!: () => void;
    const back = new Promise<true>((resolve) => (arrived = () => resolve(true)));
    this.pending = { token, arrived };
    let outcome: ProbeOutcome = 'lost';
    try {
      const receivers = await this.transport.publish(token);
      // Nobody listening on our own probe channel: the subscription is gone for sure.
      if (receivers > 0 && (await withTimeout(back, this.timeoutMs))) outcome = 'healthy';
    } catch {
      outcome = 'unreachable';
    } finally {
      if (this.pending?.token === token) this.pending = undefined;
    }
    if (this.stopped || epoch !== this.transport.subscriberEpoch()) return 'stale';
    return outcome;
  }
}
