/**
 * Frame attacks on open connections: messages over 16 KiB assembled from
 * fragments, fragment floods, invalid UTF-8, binary frames carrying valid
 * messages, deeply nested JSON, prototype keys in every spelling, unknown
 * events, every field of every event with every wrong type — and
 * property-based fuzzing (fast-check) of both endpoints' message handlers over
 * the wire, each frame's answer checked against a model of the protocol.
 * The server stays up, connections stay open (unless the contract closes
 * them), nothing invalid is stored.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { MAX_TEXT_LENGTH } from '../../src/protocol/events.js';
import { cleanField } from '../../src/text/clean.js';
import {
  TestSocket,
  adminUrl,
  connectListener,
  createSession,
  json,
  loginAdmin,
  type ReceivedFrame,
} from '../helpers/clients.js';
import { withServer } from '../helpers/with-server.js';
import { report } from './lib/report.js';
import { reliabilityScale } from './lib/scale.js';
import { sleep, waitFor } from '../helpers/wait.js';

const scale = reliabilityScale();
const RESPONSES = new Set([
  'message:ack',
  'error:invalid_payload',
  'error:rate_limited',
  'error:unavailable',
  'error:invalid_token',
]);

describe('frame attacks', () => {
  let adminToken: string;
  let historyToken: string;

  const server = withServer({
    env: {
      LIVECHAT_RATE_LIMIT_MESSAGES: '100000',
      LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES: '100000',
      LIVECHAT_SQLITE_SYNCHRONOUS: 'NORMAL',
    },
  });
  before(async () => {
    adminToken = await loginAdmin(server);
    historyToken = adminToken;
  });

  const listener = () => connectListener(server);
  const stored = async (sessionId: string) =>
    (await json(`${server.baseUrl}/livechat/admin/sessions/${sessionId}/messages?limit=500`, { token: historyToken }))
      .body.messages as {
      text: string;
    }[];

  test('16 KiB is the limit of a message, however it is fragmented', async (t) => {
    const boundary = await listener();
    // Exactly 16384 bytes of frame is accepted (the text is then too long for a message).
    const envelope = (text: string) => JSON.stringify({ event: 'message:send', data: { text } });
    const exact = envelope('x'.repeat(16 * 1024 - envelope('').length));
    assert.equal(Buffer.byteLength(exact), 16 * 1024);
    boundary.socket.sendRaw(exact);
    assert.match(String((await boundary.socket.next('error:invalid_payload'))['message']), /1000/);
    boundary.socket.sendRaw(exact + ' ');
    assert.equal((await boundary.socket.closed).code, 1009, 'one byte more: 1009');

    const { socket } = await listener();
    const body = envelope('y'.repeat(20 * 1024));
    for (let i = 0; i < body.length; i += 1024) {
      socket.ws.send(body.slice(i, i + 1024), { fin: i + 1024 >= body.length });
    }
    assert.equal((await socket.closed).code, 1009, 'fragments adding up to more than 16 KiB: 1009');
    report(t, 'frames over 16 KiB (whole or in 1 KiB fragments)', 'closed with 1009; exactly 16 KiB accepted', {
      stored: 0,
    });
  });

  test('fragments: a message in thousands of pieces works; a flood of fragments is closed (1008)', async (t) => {
    const { session, socket } = await listener();
    const message = JSON.stringify({
      event: 'message:send',
      data: { text: 'potongan-potongan', clientMessageId: 'frag-1' },
    });
    // 16 000 pieces (empty ones and one byte each): under the per-message fragment limit.
    const empties = 16_000 - message.length;
    const started = Date.now();
    socket.ws.send(message.slice(0, 1), { fin: false });
    for (let i = 0; i < empties; i++) socket.ws.send('', { fin: false });
    for (let i = 1; i < message.length; i++) socket.ws.send(message[i]!, { fin: i === message.length - 1 });
    const ack = await socket.next('message:ack', 20_000);
    const assembledMs = Date.now() - started;
    assert.equal(ack['clientMessageId'], 'frag-1');
    assert.deepEqual(
      (await stored(session.sessionId)).map((m) => m.text),
      ['potongan-potongan'],
    );

    // A flood: fragments that never end the message. Closed by the fragment limit, not buffered forever.
    const flood = await listener();
    const other = await listener();
    flood.socket.ws.send('{', { fin: false });
    for (let i = 0; i < 50_000 && flood.socket.ws.readyState === WebSocket.OPEN; i++)
      flood.socket.ws.send('', { fin: false });
    assert.equal((await flood.socket.closed).code, 1008, 'a fragment flood is closed with 1008 (policy)');
    other.socket.send('message:send', { text: 'tetangga baik-baik saja' });
    await other.socket.next('message:ack');
    assert.equal((await json(`${server.baseUrl}/healthz`)).status, 200);
    await socket.close();
    await other.socket.close();
    report(
      t,
      'fragments and fragment floods',
      `16 000 fragments reassembled in ${assembledMs} ms; an endless fragment flood closed with 1008; neighbours unaffected`,
      {
        sent: 1,
        acknowledged: 1,
        stored: 1,
      },
    );
  });

  test('invalid UTF-8 closes that connection with 1007; valid multi-byte text is stored byte-identical', async (t) => {
    const { session, socket } = await listener();
    const other = await listener();
    const prefix = Buffer.from('{"event":"message:send","data":{"text":"');
    const suffix = Buffer.from('"}}');
    for (const bad of [[0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xff]]) {
      const victim = await listener();
      victim.socket.sendRaw(Buffer.concat([prefix, Buffer.from(bad), suffix]));
      assert.equal((await victim.socket.closed).code, 1007, Buffer.from(bad).toString('hex'));
    }
    const text = 'Lagu 🎵 "Bengawan Solo" — terima kasih 🙏 ñ ü 中文 \u200d';
    socket.send('message:send', { text, clientMessageId: 'utf8' });
    await socket.next('message:ack');
    assert.equal((await stored(session.sessionId))[0]?.text, text.trim());
    other.socket.send('message:send', { text: 'masih hidup' });
    await other.socket.next('message:ack');
    await socket.close();
    await other.socket.close();
    report(
      t,
      'invalid UTF-8 in text frames',
      'that connection closed with 1007, others unaffected; emoji and CJK stored byte-identical',
      { closed1007: 4 },
    );
  });

  test('binary frames, even carrying a valid message, are refused and nothing is stored', async () => {
    const { session, socket } = await listener();
    socket.sendRaw(
      Buffer.from(JSON.stringify({ event: 'message:send', data: { text: 'biner', clientMessageId: 'bin' } })),
      true,
    );
    const error = await socket.next('error:invalid_payload');
    assert.equal(error['clientMessageId'], undefined);
    socket.send('message:send', { text: 'teks' });
    await socket.next('message:ack');
    assert.deepEqual(
      (await stored(session.sessionId)).map((m) => m.text),
      ['teks'],
    );
    await socket.close();
  });

  test('deep nesting, prototype keys and unknown events are refused; Object.prototype stays clean', async (t) => {
    const { session, socket } = await listener();
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const objectDeep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    const refused: string[] = [
      `{"event":"message:send","data":{"text":${deep(8000)}}}`,
      `{"event":"message:send","data":${objectDeep(2500)}}`,
      `{"event":${deep(8000)},"data":{}}`,
      deep(8100),
      '{"event":"message:send","data":{"text":"a","__proto__":{"polluted":true}}}',
      '{"event":"message:send","data":{"text":"a","\\u005f\\u005fproto\\u005f\\u005f":{"polluted":true}}}',
      '{"event":"message:send","data":{"text":"a","x":{"y":{"__proto__":{"polluted":true}}}}}',
      '{"event":"message:send","data":{"text":"a","constructor":{"prototype":{"polluted":true}}}}',
      '{"event":"message:send","data":{"text":"a","constructor":{"\\u0070rototype":{"polluted":true}}}}',
      '{"__proto__":{"polluted":true},"event":"message:send","data":{"text":"a"}}',
      '{"event":"__proto__","data":{}}',
      '{"event":"constructor","data":{}}',
      '{"event":"hasOwnProperty","data":{}}',
      '{"event":"toString","data":{}}',
      '{"event":"valueOf","data":{}}',
      '{"event":"message:reply","data":{"sessionId":"' + session.sessionId + '","text":"menyamar"}}',
      '{"event":"message:new","data":{}}',
      '{"event":"connection:success","data":{}}',
      '{"event":"error:unavailable","data":{}}',
      `{"event":"${'e'.repeat(10_000)}","data":{}}`,
      '{"event":"message:send","data":{"text":"a"},"event":"message:explode"}',
    ];
    for (const raw of refused) {
      socket.sendRaw(raw);
      const error = await socket.next('error:invalid_payload');
      assert.ok(String(error['message']).length < 200, 'the error does not echo the whole frame');
    }
    // Nested but harmless extra fields are dropped; the message itself is stored.
    socket.sendRaw(`{"event":"message:send","data":{"text":"bersarang","x":${deep(7000)}}}`);
    await socket.next('message:ack');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype untouched');
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    assert.deepEqual(
      (await stored(session.sessionId)).map((m) => m.text),
      ['bersarang'],
    );
    assert.equal(socket.ws.readyState, WebSocket.OPEN);
    await socket.close();
    report(
      t,
      'deep nesting, __proto__/constructor keys, unknown events',
      'each answered error:invalid_payload, connection open, prototype clean',
      {
        frames: refused.length + 1,
        stored: 1,
      },
    );
  });

  test('every field of every event with every wrong type is refused', async (t) => {
    const { session, socket } = await listener();
    const admin = await TestSocket.open(adminUrl(server, adminToken));
    await admin.next('connection:success');
    const wrong: unknown[] = [
      null,
      0,
      -1,
      1.5,
      1e308,
      true,
      false,
      [],
      ['x'],
      {},
      { text: 'a' },
      '',
      ' '.repeat(3),
      'x'.repeat(65),
    ];
    const cases: [TestSocket, string, Record<string, unknown>, string][] = [];
    const base = {
      listener: { 'message:send': { text: 'halo', clientMessageId: 'c' }, 'user:typing': { isTyping: true } },
      broadcaster: {
        'message:reply': { sessionId: session.sessionId, text: 'halo', clientMessageId: 'c' },
        'user:typing': { sessionId: session.sessionId, isTyping: true },
      },
    } as const;
    for (const [who, events] of Object.entries(base)) {
      const target = who === 'listener' ? socket : admin;
      for (const [event, valid] of Object.entries(events)) {
        for (const field of Object.keys(valid)) {
          for (const value of wrong) {
            const original = (valid as Record<string, unknown>)[field];
            // Skip values of the right type that are valid for that field.
            if (
              typeof value === typeof original &&
              !(field === 'clientMessageId' && (value === '' || String(value).length > 64))
            ) {
              if (!(field === 'text' && typeof value === 'string' && cleanField(value, MAX_TEXT_LENGTH).ok === false)) {
                if (field !== 'sessionId') continue;
              }
            }
            cases.push([
              target,
              event,
              { ...valid, [field]: value },
              `${who} ${event}.${field} = ${JSON.stringify(value)?.slice(0, 20)}`,
            ]);
          }
          const { [field]: _omitted, ...missing } = valid as Record<string, unknown>;
          if (field !== 'clientMessageId') cases.push([target, event, missing, `${who} ${event} without ${field}`]);
        }
      }
      for (const data of [null, 'x', 1, [], true])
        cases.push([target, Object.keys(events)[0]!, data as never, `${who} data = ${JSON.stringify(data)}`]);
      for (const event of [null, 1, [], {}, true])
        cases.push([target, event as never, { text: 'a' }, `${who} event = ${JSON.stringify(event)}`]);
    }
    const failures: string[] = [];
    for (const [target, event, data, name] of cases) {
      const before = target.frames.length;
      target.sendRaw(JSON.stringify({ event, data }));
      try {
        await waitFor(() => target.frames.slice(before).some((f) => RESPONSES.has(f.event)), {
          message: name,
          timeoutMs: 5000,
          intervalMs: 2,
        });
        const response = target.frames.slice(before).find((f) => RESPONSES.has(f.event))!;
        if (response.event !== 'error:invalid_payload') failures.push(`${name}: ${response.event}`);
      } catch {
        failures.push(`${name}: no answer`);
      }
    }
    assert.deepEqual(failures, []);
    assert.equal(socket.ws.readyState, WebSocket.OPEN);
    assert.equal(admin.ws.readyState, WebSocket.OPEN);
    assert.deepEqual(await stored(session.sessionId), [], 'nothing stored');
    await socket.close();
    await admin.close();
    report(t, 'every field with the wrong type', 'each answered error:invalid_payload; nothing stored', {
      frames: cases.length,
      stored: 0,
    });
  });

  describe('property-based fuzzing of the message handlers (fast-check)', () => {
    /** Values of any JSON type, for fields that expect another. */
    const anyValue = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 20 }),
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    );
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constantFrom(
        '',
        '   ',
        '<b></b>',
        'x'.repeat(1000),
        'x'.repeat(1001),
        'Aku <3 lagu ini & "Sheila on 7"',
        '\u0000\u0007 ',
        "'; DROP TABLE messages; --",
        '<script>alert(1)</script>halo',
        'a\ud800b',
      ),
      anyValue,
    );
    const clientMessageId = fc.oneof(
      fc.string({ minLength: 0, maxLength: 70 }),
      fc.constantFrom("' OR '1'='1", 'x'.repeat(64), 'x'.repeat(65), '\u0000'),
      anyValue,
    );
    const extra = fc.dictionary(
      fc.constantFrom('x', 'sessionId', 'direction', 'from', 'messageId', 'admin'),
      anyValue,
      { maxKeys: 2 },
    );
    const dataWith = (fields: Record<string, fc.Arbitrary<unknown>>) =>
      fc.tuple(fc.record(fields, { requiredKeys: [] }), extra).map(([d, e]) => ({ ...e, ...d }));
    const eventName = fc.oneof(
      fc.constantFrom('message:send', 'message:reply', 'user:typing', 'message:new', '__proto__', 'toString', ''),
      fc.string({ maxLength: 70 }),
    );

    /** What the protocol says a frame gets: 'ack', 'invalid', or 'none' (typing). */
    function expected(
      raw: string,
      kind: 'listener' | 'broadcaster',
      sessions: Set<string>,
    ): 'ack' | 'invalid' | 'none' {
      let frame: unknown;
      try {
        frame = JSON.parse(raw);
      } catch {
        return 'invalid';
      }
      if (hasPrototypeKeys(frame)) return 'invalid';
      if (!isRecord(frame) || typeof frame['event'] !== 'string' || !isRecord(frame['data'])) return 'invalid';
      const event = frame['event'];
      const data = frame['data'];
      if (event.length < 1 || event.length > 64) return 'invalid';
      const id = data['clientMessageId'];
      // Every client string is well-formed UTF-16: no lone surrogate (contract v1.1 A).
      const wellFormed = (value: string) => !/\p{Cs}/u.test(value);
      // 1–64 characters, without U+0000 (PostgreSQL text cannot hold it).
      const idOk =
        id === undefined ||
        (typeof id === 'string' && id.length >= 1 && id.length <= 64 && !id.includes('\u0000') && wellFormed(id));
      const uuid =
        typeof data['sessionId'] === 'string' &&
        /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(data['sessionId']);
      const textOk = typeof data['text'] === 'string' && data['text'].length <= 16 * 1024 && wellFormed(data['text']);
      if (kind === 'listener') {
        if (event === 'message:send')
          return textOk && idOk && cleanField(data['text'] as string, MAX_TEXT_LENGTH).ok ? 'ack' : 'invalid';
        if (event === 'user:typing') return typeof data['isTyping'] === 'boolean' ? 'none' : 'invalid';
        return 'invalid';
      }
      if (event === 'message:reply') {
        if (!(uuid && textOk && idOk)) return 'invalid';
        return cleanField(data['text'] as string, MAX_TEXT_LENGTH).ok && sessions.has(data['sessionId'] as string)
          ? 'ack'
          : 'invalid';
      }
      if (event === 'user:typing') {
        return uuid && typeof data['isTyping'] === 'boolean'
          ? sessions.has(data['sessionId'] as string)
            ? 'none'
            : 'invalid'
          : 'invalid';
      }
      return 'invalid';
    }
    const isRecord = (value: unknown): value is Record<string, unknown> =>
      typeof value === 'object' && value !== null && !Array.isArray(value);
    function hasPrototypeKeys(value: unknown): boolean {
      if (typeof value !== 'object' || value === null) return false;
      for (const [key, child] of Object.entries(value)) {
        if (key === '__proto__') return true;
        if (key === 'constructor' && isRecord(child) && Object.hasOwn(child, 'prototype')) return true;
        if (hasPrototypeKeys(child)) return true;
      }
      return false;
    }

    /** Sends one frame and returns the answers it got (ack or error:*), checking them against the model. */
    async function exchange(
      socket: TestSocket,
      raw: string,
      want: 'ack' | 'invalid' | 'none',
      marker: number,
    ): Promise<ReceivedFrame[]> {
      const start = socket.frames.length;
      socket.sendRaw(raw);
      const answers = () =>
        socket.frames
          .slice(start)
          .filter((f) => RESPONSES.has(f.event) && !String(f.data['message'] ?? '').includes(`sync-${marker}`));
      if (want === 'none') {
        // No answer expected: an unknown "sync" event behind it proves the frame was handled.
        socket.send(`sync-${marker}`, {});
        await waitFor(
          () => socket.frames.slice(start).some((f) => String(f.data['message'] ?? '').includes(`sync-${marker}`)),
          { message: 'the sync answer', timeoutMs: 5000, intervalMs: 2 },
        );
        await sleep(5);
      } else {
        await waitFor(() => answers().length > 0, {
          message: `an answer to ${raw.slice(0, 80)}`,
          timeoutMs: 5000,
          intervalMs: 2,
        });
      }
      return answers();
    }

    const counts = { frames: 0, acked: 0, refused: 0, silent: 0 };

    for (const kind of ['listener', 'broadcaster'] as const) {
      test(
        `${kind}: random frames get the answer the protocol prescribes, and nothing else`,
        { timeout: scale.testTimeoutMs },
        async (t) => {
          const target = await createSession(server, 'Target');
          const sessions = new Set([target.sessionId]);
          let socket: TestSocket;
          let ownSession = target.sessionId;
          if (kind === 'listener') {
            const opened = await listener();
            socket = opened.socket;
            ownSession = opened.session.sessionId;
          } else {
            socket = await TestSocket.open(adminUrl(server, adminToken));
            await socket.next('connection:success');
          }
          const sessionId = fc.oneof(
            fc.constant(target.sessionId),
            fc.constant(target.sessionId.toUpperCase()),
            fc.constant(randomUUID()),
            fc.constantFrom("' OR '1'='1", `${target.sessionId}'--`, '00000000-0000-0000-0000-000000000000', ''),
            anyValue,
          );
          const frames =
            kind === 'listener'
              ? fc.oneof(
                  {
                    weight: 5,
                    arbitrary: fc.record({
                      event: fc.constant('message:send'),
                      data: dataWith({ text, clientMessageId }),
                    }),
                  },
                  {
                    weight: 2,
                    arbitrary: fc.record({
                      event: fc.constant('user:typing'),
                      data: dataWith({ isTyping: fc.oneof(fc.boolean(), anyValue) }),
                    }),
                  },
                  {
                    weight: 1,
                    arbitrary: fc.record({ event: eventName, data: fc.oneof(anyValue, dataWith({ text, sessionId })) }),
                  },
                )
              : fc.oneof(
                  {
                    weight: 5,
                    arbitrary: fc.record({
                      event: fc.constant('message:reply'),
                      data: dataWith({ sessionId, text, clientMessageId }),
                    }),
                  },
                  {
                    weight: 2,
                    arbitrary: fc.record({
                      event: fc.constant('user:typing'),
                      data: dataWith({ sessionId, isTyping: fc.oneof(fc.boolean(), anyValue) }),
                    }),
                  },
                  {
                    weight: 1,
                    arbitrary: fc.record({ event: eventName, data: fc.oneof(anyValue, dataWith({ text, sessionId })) }),
                  },
                );
          const raws = fc.oneof(
            { weight: 8, arbitrary: frames.map((f) => JSON.stringify(f)) },
            { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
            { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
          );
          let marker = 0;
          let acked = 0;
          await fc.assert(
            fc.asyncProperty(raws, async (raw) => {
              const want = expected(raw, kind, sessions);
              const answers = await exchange(socket, raw, want, marker++);
              counts.frames += 1;
              assert.equal(socket.ws.readyState, WebSocket.OPEN, 'the connection stays open');
              if (want === 'none') {
                counts.silent += 1;
                assert.deepEqual(
                  answers.map((a) => a.event),
                  [],
                  `no answer to ${raw}`,
                );
                return;
              }
              assert.equal(answers.length, 1, `one answer to ${raw}: ${JSON.stringify(answers)}`);
              const answer = answers[0]!;
              assert.equal(answer.event, want === 'ack' ? 'message:ack' : 'error:invalid_payload', raw);
              if (want === 'ack') {
                acked += answer.data['duplicate'] === true ? 0 : 1;
                counts.acked += 1;
              } else counts.refused += 1;
              // Echo: an answer about a frame with a usable clientMessageId carries it back.
              const sent = (() => {
                try {
                  return JSON.parse(raw)?.data?.clientMessageId;
                } catch {
                  return undefined;
                }
              })();
              if (typeof sent === 'string' && sent.length >= 1 && sent.length <= 64 && want === 'ack') {
                assert.equal(answer.data['clientMessageId'], sent);
              }
            }),
            { numRuns: scale.fuzzRuns, seed: Number(process.env['LIVECHAT_RELIABILITY_SEED'] ?? Date.now() % 2 ** 31) },
          );
          // What was stored is exactly what was acknowledged (not counting duplicate acks).
          const rows = await stored(kind === 'listener' ? ownSession : target.sessionId);
          assert.equal(rows.length, acked);
          assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
          await socket.close();
          report(
            t,
            `fuzzing the ${kind} handler (fast-check)`,
            'every frame answered as the protocol prescribes; stored = acknowledged',
            {
              frames: marker,
              acknowledged: acked,
              stored: rows.length,
            },
          );
        },
      );
    }
  });

  test('the server is still up and serving after all of it', async () => {
    assert.equal((await json(`${server.baseUrl}/healthz`)).status, 200);
    const { socket } = await listener();
    socket.send('message:send', { text: 'masih ada?' });
    await socket.next('message:ack');
    await socket.close();
  });
});
