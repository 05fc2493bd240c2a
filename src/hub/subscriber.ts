/**
 * What the hub routes publications to: a listener subscriber receives its
 * session's channel, a broadcaster subscriber the broadcasters' channel.
 * WebSocket connections (../ws) are subscribers; the hub knows nothing else of them.
 */
import type { Publication } from '../broker/types.js';

export interface ListenerSubscriber {
  readonly kind: 'listener';
  readonly sessionId: string;
  /** A publication on this subscriber's channel. */
  deliver(publication: Publication): void;
}

export interface BroadcasterSubscriber {
  readonly kind: 'broadcaster';
  /** A publication on the broadcasters' channel. */
  deliver(publication: Publication): void;
}

export type Subscriber = ListenerSubscriber | BroadcasterSubscriber;
