/**
 * Contract v1.1 D's listing rules for `GET /livechat/admin/sessions` (issue 19, item 8): sessions
 * without messages are left out unless `includeEmpty=true`, so that empty sessions cannot bury a
 * real conversation; the order is last activity, newest first; `cursor=` pages through the rest.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { listSessions } from '../../src/client/index.js';
import { TestSocket, createSession, json, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { matrix } from '../helpers/server.js';
import { withServer } from '../helpers/with-server.js';
import { sleep } from '../helpers/wait.js';

interface Listed {
  sessionId: string;
  lastMessageAt: string | null;
}

for (const { dialect, broker } of matrix()) {
  describe(`session listing on ${dialect} with the ${broker} broker`, () => {
    let adminToken: string;
    const server = withServer({ dialect, broker });
    before(async () => {
      adminToken = await loginAdmin(server);
    });

    /** A session with one listener message per text, sent in order. */
    const talk = async (sessionToken: string, ...texts: string[]) => {
      const socket = await TestSocket.open(listenerUrl(server, sessionToken));
      await socket.next('connection:success');
      for (const [i, text] of texts.entries()) {
        socket.send('message:send', { text, clientMessageId: `m-${i}-${text}` });
        await socket.next('message:ack');
        await sleep(3);
      }
      await socket.close();
    };
    const list = async (query = '') => {
      const response = await json(`${server.baseUrl}/livechat/admin/sessions${query}`, { token: adminToken });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body as { sessions: Listed[]; nextCursor?: string | null };
    };
    /** Every page, following nextCursor. */
    const listAll = async (query: string) => {
      const all: Listed[] = [];
      let cursor: string | null | undefined;
      do {
        const page = await list(`${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        all.push(...page.sessions);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    };

    test('100 empty sessions do not push a real conversation out of the default listing', async () => {
      const real = await createSession(server, 'Sari');
      await talk(real.sessionToken, 'halo penyiar');
      const empty = [];
      for (let i = 0; i < 100; i++) empty.push((await createSession(server, `Kosong ${i}`)).sessionId);

      const ids = (await list()).sessions.map((s) => s.sessionId);
      assert.ok(ids.includes(real.sessionId), 'the real conversation is listed');
      assert.deepEqual(
        empty.filter((id) => ids.includes(id)),
        [],
        'sessions without messages are left out by default',
      );
      const withEmpty = (await listAll('?includeEmpty=true&limit=500')).map((s) => s.sessionId);
      assert.ok(
        empty.every((id) => withEmpty.includes(id)),
        'includeEmpty=true lists them',
      );
      assert.ok(withEmpty.includes(real.sessionId));
    });

    test('ordered by last activity, newest first', async () => {
      const a = await createSession(server, 'Ani');
      const b = await createSession(server, 'Bayu');
      await talk(a.sessionToken, 'satu');
      await talk(b.sessionToken, 'dua');
      let ids = (await list()).sessions.map((s) => s.sessionId);
      assert.deepEqual(ids.slice(0, 2), [b.sessionId, a.sessionId]);
      await talk(a.sessionToken, 'tiga');
      const sessions = (await list()).sessions;
      ids = sessions.map((s) => s.sessionId);
      assert.deepEqual(ids.slice(0, 2), [a.sessionId, b.sessionId], 'a new message brings a session to the top');
      const times = sessions.map((s) => Date.parse(s.lastMessageAt!));
      assert.deepEqual(
        times,
        [...times].sort((x, y) => y - x),
      );
    });

    test('cursor paging: every session once, stable while new sessions arrive, no cursor at the end', async () => {
      const everything = (await listAll('?limit=500')).map((s) => s.sessionId);
      assert.ok(everything.length >= 3);

      const first = await list('?limit=2');
      assert.equal(first.sessions.length, 2);
      assert.equal(typeof first.nextCursor, 'string');
      // A new conversation starts between two page fetches: it goes to the top, the pages after
      // the cursor neither repeat nor skip anything.
      const newcomer = await createSession(server, 'Baru');
      await talk(newcomer.sessionToken, 'aku baru');
      const paged = [...first.sessions];
      let cursor = first.nextCursor;
      while (cursor) {
        const page = await list(`?limit=2&cursor=${encodeURIComponent(cursor)}`);
        assert.ok(page.sessions.length <= 2);
        paged.push(...page.sessions);
        cursor = page.nextCursor;
      }
      assert.deepEqual(
        paged.map((s) => s.sessionId),
        everything,
      );

      const last = await list(`?limit=${everything.length + 1}`);
      assert.equal(last.nextCursor ?? null, null, 'no nextCursor when nothing follows');
    });

    test("the client's listSessions (the dashboard's) follows nextCursor page after page, up to max", async () => {
      const expected = (await listAll('?includeEmpty=true&limit=500')).map((s) => s.sessionId);
      assert.ok(expected.length > 100);
      const options = { baseUrl: server.baseUrl, token: adminToken, includeEmpty: true, pageSize: 7 };
      assert.deepEqual(
        (await listSessions(options)).map((s) => s.sessionId),
        expected,
      );
      assert.deepEqual(
        (await listSessions({ ...options, max: 10 })).map((s) => s.sessionId),
        expected.slice(0, 10),
      );
      const talked = (await listSessions({ baseUrl: server.baseUrl, token: adminToken, pageSize: 2 })).map(
        (s) => s.lastMessageAt,
      );
      assert.ok(
        talked.length > 2 && talked.every((at) => at !== null),
        'without includeEmpty: only sessions with messages',
      );
    });

    test('a cursor that the server did not hand out is refused with 400 invalid_payload', async () => {
      for (const cursor of ['garbage', 'x'.repeat(600), Buffer.from('1:2:3').toString('base64url')]) {
        const response = await json(`${server.baseUrl}/livechat/admin/sessions?cursor=${encodeURIComponent(cursor)}`, {
          token: adminToken,
        });
        assert.equal(response.status, 400, cursor);
        assert.equal(response.body.error, 'invalid_payload');
      }
    });
  });
}
