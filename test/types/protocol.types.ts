/**
 * Type tests of the server's frames, checked by `tsc` (`npm run lint`), never
 * run: every server send is typed by the protocol's event maps
 * (src/protocol/events.ts), so a frame that drifts from the protocol, or a
 * protocol that drifts from the contract (/work/shared/CONTRACT.md, "Server →
 * client"), fails the build. Each `@ts-expect-error` line must stay an error:
 * when it compiles, tsc reports the unused directive.
 */
import type { Replier } from '../../src/chat/chat-service.js';
import { frameOf, type Hub } from '../../src/hub/hub.js';
import type {
  BroadcasterServerEvents,
  ListenerServerEvents,
  Message,
  SenderServerEvents,
} from '../../src/protocol/events.js';
import type { AnyConnection, BroadcasterConnection, ListenerConnection } from '../../src/ws/connection.js';

/** True when A and B are the same type (not merely assignable). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(proof: Equal<A, B>): Equal<A, B> => proof;

declare const listener: ListenerConnection;
declare const broadcaster: BroadcasterConnection;
declare const anyConnection: AnyConnection;
declare const hub: Hub;
declare const replier: Replier;
declare const message: Message;

const at = '2026-12-04T00:00:00.000Z';
const receive = { messageId: '1', from: 'Penyiar', text: 'halo', createdAt: at };

// --- The event maps match the contract: event names and payload fields. ---

/** The contract's answers to a sender, sent to both kinds. */
type Answers =
  'message:ack' | 'error:invalid_payload' | 'error:rate_limited' | 'error:invalid_token' | 'error:unavailable';
same<keyof SenderServerEvents, Answers>(true);
same<
  keyof ListenerServerEvents,
  | 'connection:success'
  | 'message:receive'
  | 'message:sent'
  | 'session:erased'
  | 'user:typing'
  | 'error:banned'
  | Answers
>(true);
same<
  keyof BroadcasterServerEvents,
  | 'connection:success'
  | 'message:new'
  | 'presence:update'
  | 'session:moderated'
  | 'message:hidden'
  | 'session:erased'
  | 'user:typing'
  | 'error:session_ended'
  | Answers
>(true);
same<keyof ListenerServerEvents['connection:success'], 'sessionId' | 'name' | 'city' | 'connectionId' | 'expiresAt'>(
  true,
);
same<keyof BroadcasterServerEvents['connection:success'], 'adminId' | 'name' | 'role' | 'connectionId'>(true);
same<keyof SenderServerEvents['message:ack'], 'messageId' | 'clientMessageId' | 'createdAt' | 'text' | 'duplicate'>(
  true,
);
same<SenderServerEvents['message:ack']['duplicate'], true | undefined>(true);
same<
  keyof BroadcasterServerEvents['message:new'],
  'messageId' | 'sessionId' | 'direction' | 'from' | 'text' | 'createdAt' | 'hidden' | 'reason'
>(true);
same<keyof ListenerServerEvents['message:receive'], 'messageId' | 'from' | 'text' | 'createdAt'>(true);
same<BroadcasterServerEvents['presence:update'], { sessionId: string; online: boolean }>(true);
same<ListenerServerEvents['user:typing'], { from: string; isTyping: boolean }>(true);
same<BroadcasterServerEvents['user:typing'], { sessionId: string; isTyping: boolean }>(true);
same<keyof SenderServerEvents['error:invalid_payload'], 'message' | 'clientMessageId'>(true);
same<keyof SenderServerEvents['error:rate_limited'], 'retryAfterMs' | 'clientMessageId'>(true);
same<keyof SenderServerEvents['error:invalid_token'], 'message'>(true);
same<keyof SenderServerEvents['error:unavailable'], 'message' | 'clientMessageId'>(true);
// The answers to a sender are the same for both kinds.
same<Pick<BroadcasterServerEvents, keyof SenderServerEvents>, SenderServerEvents>(true);
// @ts-expect-error the listener and broadcaster greetings differ
same<ListenerServerEvents['connection:success'], BroadcasterServerEvents['connection:success']>(true);

// --- Connection.send: the connection's own map only. ---

listener.send('connection:success', { sessionId: 's', name: 'Budi', city: '', connectionId: 'c', expiresAt: at });
listener.send('message:receive', receive);
listener.send('user:typing', { from: 'Penyiar', isTyping: true });
broadcaster.send('connection:success', { adminId: '1', name: 'Penyiar', role: 'penyiar', connectionId: 'c' });
broadcaster.send('message:new', message);
broadcaster.send('user:typing', { sessionId: 's', isTyping: false });
// @ts-expect-error unknown event name
listener.send('message:recieve', receive);
// @ts-expect-error wrong payload field
listener.send('message:receive', { ...receive, from: undefined, sender: 'Penyiar' });
// @ts-expect-error missing payload field
listener.send('error:rate_limited', {});
// @ts-expect-error wrong field type
listener.send('error:rate_limited', { retryAfterMs: '100' });
// @ts-expect-error a broadcaster event sent to a listener connection
listener.send('message:new', message);
// @ts-expect-error a listener event sent to a broadcaster connection
broadcaster.send('message:receive', receive);
// @ts-expect-error the listener's typing payload on a broadcaster connection
broadcaster.send('user:typing', { from: 'Budi', isTyping: true });
// @ts-expect-error the listener greeting on a broadcaster connection
broadcaster.send('connection:success', { sessionId: 's', name: 'Budi', city: '', connectionId: 'c', expiresAt: at });

// --- Either kind: the answers to a sender, and the identity after narrowing. ---

const sender: Replier = anyConnection;
sender.send('error:unavailable', { message: 'Coba lagi', clientMessageId: 'a' });
// @ts-expect-error the maps differ by kind: narrow first
anyConnection.send('connection:success', { adminId: '1', name: 'Penyiar', role: 'penyiar', connectionId: 'c' });
if (anyConnection.kind === 'broadcaster') {
  anyConnection.send('connection:success', { adminId: '1', name: 'Penyiar', role: 'penyiar', connectionId: 'c' });
}
// @ts-expect-error only a listener connection has a session
const _sessionId: string = anyConnection.sessionId;
const _identity: string = anyConnection.kind === 'listener' ? anyConnection.sessionId : anyConnection.adminId;
replier.send('message:ack', { messageId: '1', createdAt: at, text: 'hai', duplicate: true });
// @ts-expect-error duplicate is true or absent
replier.send('message:ack', { messageId: '1', createdAt: at, text: 'hai', duplicate: false });
// @ts-expect-error the ack carries the stored text
replier.send('message:ack', { messageId: '1', createdAt: at });
// @ts-expect-error a replier only answers the sender
replier.send('message:new', message);
const _replierOfListener: Replier = listener;
const _replierOfBroadcaster: Replier = broadcaster;

// --- Hub: session channels carry listener events, the broadcasters' channel broadcaster events. ---

void hub.toSession('s', 'message:receive', receive, '1', '0');
void hub.toSession('s', 'user:typing', { from: 'Penyiar', isTyping: true });
void hub.toBroadcasters('message:new', message, message.messageId);
void hub.toBroadcasters('presence:update', { sessionId: 's', online: false });
// @ts-expect-error a broadcaster event on a session channel
void hub.toSession('s', 'message:new', message);
// @ts-expect-error the broadcasters' typing payload on a session channel
void hub.toSession('s', 'user:typing', { sessionId: 's', isTyping: true });
// @ts-expect-error a listener event on the broadcasters' channel
void hub.toBroadcasters('message:receive', receive);
// @ts-expect-error wrong payload field
void hub.toBroadcasters('presence:update', { sessionId: 's', isOnline: false });
// @ts-expect-error unknown event name
void hub.toBroadcasters('presence:changed', { sessionId: 's', online: false });

// --- frameOf: typed by the map it is given. ---

frameOf<ListenerServerEvents, 'message:receive'>('message:receive', receive);
// @ts-expect-error payload of another event
frameOf<ListenerServerEvents, 'message:receive'>('message:receive', { sessionId: 's', online: true });
// @ts-expect-error an event of another map
frameOf<ListenerServerEvents, 'presence:update'>('presence:update', { sessionId: 's', online: true });
