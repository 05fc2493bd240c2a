/**
 * Runs the message path's lazily built parts before the port opens, so that
 * the first listeners of a show do not pay for them: zod compiles each
 * schema's parser on its first use, V8 compiles the word filter's large
 * pattern on its first match, and both run interpreted until they have run
 * a few hundred times. About 50 ms at start-up, on sample data only: nothing
 * is stored, published or sent.
 */
import type { WordFilter } from '../moderation/word-filter.js';
import { broadcasterClientEvents, listenerClientEvents } from '../protocol/events.js';
import { parseFrame, type EventMap } from './frames.js';

/** Rounds over the samples: enough for V8 to optimise the hot functions of the path. */
const ROUNDS = 300;

const SAMPLE_SESSION = '00000000-0000-4000-8000-000000000000';
const SAMPLE_TEXTS = [
  'Halo penyiar, salam dari Bandung untuk semua pendengar setia!',
  'Putarkan lagu Sheila on 7 dong, Aku <3 lagu ini & "Dan"',
];

/** Sample frames (a test checks that every one is accepted, so the warm-up runs the accepting path). */
export const WARM_UP_FRAMES: ReadonlyArray<readonly [EventMap, object]> = [
  [listenerClientEvents, { event: 'message:send', data: { text: SAMPLE_TEXTS[0], clientMessageId: 'warm-up-1' } }],
  [
    listenerClientEvents,
    {
      event: 'message:send',
      data: { text: SAMPLE_TEXTS[1], clientMessageId: 'warm-up-2', request: { title: 'Dan', artist: 'Sheila on 7' } },
    },
  ],
  [listenerClientEvents, { event: 'user:typing', data: { isTyping: true } }],
  [broadcasterClientEvents, { event: 'message:reply', data: { sessionId: SAMPLE_SESSION, text: 'Terima kasih!' } }],
];

/** Parses sample frames of every kind a client sends most and checks sample texts against the word filter. */
export function warmUpMessagePath(wordFilter: WordFilter): void {
  const raw = WARM_UP_FRAMES.map(([events, frame]) => [events, Buffer.from(JSON.stringify(frame))] as const);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [events, buffer] of raw) parseFrame(buffer, false, events);
    for (const text of SAMPLE_TEXTS) wordFilter.matches(text);
  }
}
