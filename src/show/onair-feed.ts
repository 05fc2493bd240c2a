/**
 * The on-air screens' live feed (`GET /livechat/onair/events`): Server-Sent
 * Events, read-only, one stream per screen. Each stream gets the message on
 * air at once, then every change of it, within the broker's delivery time.
 *
 * This instance's screens share one subscription to the broadcasters'
 * channel, held only while a screen is connected: of what passes on it, only
 * `onair:update` frames are read (a prefix test, so chat traffic costs them
 * nothing), and each becomes one small `onair` event for all the screens. The
 * revision drops an update older than the one shown (two changes published by
 * two instances may arrive the other way round).
 */
import type { Response } from 'express';
import type { Logger } from 'pino';
import type { Publication } from '../broker/types.js';
import type { Hub } from '../hub/hub.js';
import type { BroadcasterSubscriber } from '../hub/subscriber.js';
import type { z } from 'zod';
import type { onAirDisplaySchema } from '../protocol/events.js';
import type { OnAirPayload } from './onair-desk.js';

export type OnAirDisplay = z.infer<typeof onAirDisplaySchema>;

const UPDATE_PREFIX = '{"event":"onair:update"';
/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const KEEPALIVE_MS = 15_000;
/** Screens per instance: a leaked key cannot hold an unbounded number of streams open. */
export const MAX_SCREENS = 200;

export function toDisplay(queue: OnAirPayload): OnAirDisplay {
  const item = queue.items.find((entry) => entry.state === 'on_air');
  return {
    revision: queue.revision,
    onAir: item
      ? {
          messageId: item.message.messageId,
          name: item.message.from,
          city: item.city,
          text: item.message.text,
          ...(item.message.request ? { request: item.message.request } : {}),
        }
      : null,
  };
}

export class OnAirFeed {
  private readonly screens = new Set<Response>();
  private readonly subscriber: BroadcasterSubscriber = { kind: 'broadcaster', deliver: (p) => this.deliver(p) };
  private subscribed: Promise<void> | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private shown: OnAirDisplay | undefined;
  private stopped = false;

  constructor(private readonly deps: { hub: Hub; logger: Logger; current: () => Promise<OnAirPayload> }) {}

  get size(): number {
    return this.screens.size;
  }

  /** Opens a stream on `res`: false when this instance holds its maximum of screens (or is stopping). */
  async open(res: Response): Promise<boolean> {
    if (this.stopped || this.screens.size >= MAX_SCREENS) return false;
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // nginx: pass each event on at once.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write('retry: 1000\n\n');
    this.screens.add(res);
    res.on('close', () => this.close(res));
    this.keepalive ??= setInterval(() => this.writeAll(': keepalive\n\n'), KEEPALIVE_MS).unref();
    // Subscribe before reading the current state: a change in between is delivered, not lost.
    this.subscribed ??= this.deps.hub.add(this.subscriber);
    let current: OnAirDisplay;
    try {
      await this.subscribed;
      current = toDisplay(await this.deps.current());
    } catch (error) {
      // The stream is open already: end it, and the screen connects again (`retry`) once things are back.
      this.deps.logger.warn({ err: error }, 'an on-air screen could not be given the current state');
      res.end();
      return true;
    }
    if (this.shown === undefined || current.revision > this.shown.revision) this.shown = current;
    if (this.screens.has(res)) res.write(eventOf(this.shown));
    return true;
  }

  /** At shutdown: ends every stream (screens reconnect elsewhere) and leaves the channel. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const res of [...this.screens]) res.end();
    this.screens.clear();
    await this.leave();
  }

  private close(res: Response): void {
    if (!this.screens.delete(res) || this.screens.size > 0) return;
    void this.leave();
  }

  private async leave(): Promise<void> {
    clearInterval(this.keepalive);
    this.keepalive = undefined;
    const subscribed = this.subscribed;
    if (subscribed === undefined) return;
    this.subscribed = undefined;
    this.shown = undefined;
    await subscribed.catch(() => undefined);
    await this.deps.hub.remove(this.subscriber);
  }

  private deliver(publication: Publication): void {
    if (!publication.frame.startsWith(UPDATE_PREFIX)) return;
    let display: OnAirDisplay;
    try {
      display = toDisplay((JSON.parse(publication.frame) as { data: OnAirPayload }).data);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'an onair:update could not be read');
      return;
    }
    if (this.shown !== undefined && display.revision <= this.shown.revision) return;
    this.shown = display;
    this.writeAll(eventOf(display));
  }

  private writeAll(chunk: string): void {
    for (const res of this.screens) res.write(chunk);
  }
}

function eventOf(display: OnAirDisplay): string {
  return `event: onair\ndata: ${JSON.stringify(display)}\n\n`;
}
