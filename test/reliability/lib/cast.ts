/**
 * The checkers' cast: listeners that each queue their messages, and
 * broadcasters that each queue replies to randomly chosen listeners, with what
 * every client sent recorded for the checker. Nothing is started here.
 */
import { ChaosBroadcaster, ChaosListener, type ChaosClient, type Rng } from './chaos.js';
import type { Sent } from './checker.js';
import { prng, reliabilityScale } from './scale.js';

export interface CastOptions {
  seed: number;
  /** Picks each reply's listener. */
  rng: Rng;
  url: () => string;
  storedAt: Map<string, number>;
  adminToken: string;
  /** Creates listener `i`'s session (the cluster checker spreads them over instances). */
  createSession(i: number): Promise<{ sessionId: string; sessionToken: string }>;
}

export interface Cast {
  sent: Sent[];
  listeners: ChaosListener[];
  broadcasters: ChaosBroadcaster[];
  clients: ChaosClient[];
}

export async function createCast(options: CastOptions): Promise<Cast> {
  const { seed, rng, url, storedAt, adminToken } = options;
  const scale = reliabilityScale();
  const adminId = JSON.parse(Buffer.from(adminToken.split('.')[1]!, 'base64url').toString()).sub as string;
  const sent: Sent[] = [];
  const listeners: ChaosListener[] = [];
  for (let i = 0; i < scale.checkerListeners; i++) {
    const session = await options.createSession(i);
    const listener = new ChaosListener(
      `L${i}`,
      url,
      prng(seed + i + 1),
      session.sessionId,
      session.sessionToken,
      storedAt,
    );
    const messages: [string, string][] = Array.from({ length: scale.checkerMessages }, (_, j) => [
      `L${i}-${j}`,
      `pesan ${j} dari L${i}`,
    ]);
    sent.push({ client: listener, senderKey: `session:${session.sessionId}`, messages });
    listener.enqueue(messages.map(([clientMessageId, text]) => ({ clientMessageId, data: { text } })));
    listeners.push(listener);
  }
  const broadcasters: ChaosBroadcaster[] = [];
  for (let b = 0; b < scale.checkerBroadcasters; b++) {
    const broadcaster = new ChaosBroadcaster(`B${b}`, url, prng(seed + 1000 + b), adminToken, storedAt);
    const messages: [string, string][] = [];
    const items: { clientMessageId: string; data: Record<string, unknown> }[] = [];
    for (let n = 0; n < scale.checkerReplies; n++) {
      const target = listeners[rng.int(0, listeners.length - 1)]!;
      const text = `balasan ${n} dari B${b} untuk ${target.name}`;
      messages.push([`B${b}-${n}`, text]);
      items.push({ clientMessageId: `B${b}-${n}`, data: { sessionId: target.sessionId, text } });
    }
    broadcaster.enqueue(items);
    sent.push({ client: broadcaster, senderKey: `admin:${adminId}`, messages });
    broadcasters.push(broadcaster);
  }
  return { sent, listeners, broadcasters, clients: [...listeners, ...broadcasters] };
}
