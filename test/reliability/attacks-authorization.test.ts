/**
 * Authorization and injection attacks, on SQLite and PostgreSQL: a listener
 * acting as a broadcaster, writing into or reading another session; SQL
 * metacharacters (and NUL) in every id, name and parameter; the admin REST
 * without or with bent credentials; what /metrics exposes when it is open.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { TestSocket, adminUrl, createSession, json, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { dialects } from '../helpers/databases.js';
import { withServer } from '../helpers/with-server.js';
import { report } from './lib/report.js';

const only = process.env['LIVECHAT_TEST_DIALECT']?.split(',').filter(Boolean);
const SQL = [
  "'; DROP TABLE messages; --",
  "' OR '1'='1",
  '" OR ""="',
  '1; DELETE FROM sessions',
  "admin'--",
  '%27%20OR%201=1',
  '\\',
  '$1',
  '`',
  "');SELECT pg_sleep(5);--",
];

for (const dialect of dialects.filter((d) => !only || only.includes(d))) {
  describe(`authorization and injection on ${dialect}`, () => {
    let adminToken: string;

    const server = withServer({
      dialect,
      env: {
        LIVECHAT_RATE_LIMIT_MESSAGES: '1000',
        LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES: '1000',
        LIVECHAT_LOGIN_FAILURE_LIMIT: '1000',
      },
    });
    before(async () => {
      adminToken = await loginAdmin(server);
    });

    const history = async (sessionId: string) =>
      (await json(`${server.baseUrl}/livechat/admin/sessions/${sessionId}/messages?limit=500`, { token: adminToken }))
        .body.messages as { direction: string; from: string; text: string; sessionId: string; messageId: string }[];

    /** Row counts straight from the database. */
    async function counts(): Promise<{ sessions: number; messages: number; admins: number }> {
      const sql =
        'select (select count(*) from sessions) as sessions, (select count(*) from messages) as messages, (select count(*) from admins) as admins';
      const config = server.server.config.database;
      if (config.kind === 'sqlite') {
        const db = new Database(config.path, { readonly: true });
        try {
          return db.prepare(sql).get() as { sessions: number; messages: number; admins: number };
        } finally {
          db.close();
        }
      }
      const client = new pg.Client({ connectionString: config.url });
      await client.connect();
      try {
        const row = (await client.query(sql)).rows[0];
        return { sessions: Number(row.sessions), messages: Number(row.messages), admins: Number(row.admins) };
      } finally {
        await client.end();
      }
    }

    test('a listener cannot act as a broadcaster, write into or read another session', async (t) => {
      const admin = await TestSocket.open(adminUrl(server, adminToken));
      await admin.next('connection:success');
      const a = await createSession(server, 'Ana');
      const b = await createSession(server, 'Bima');
      const aSocket = await TestSocket.open(listenerUrl(server, a.sessionToken));
      const bSocket = await TestSocket.open(listenerUrl(server, b.sessionToken));
      await aSocket.next('connection:success');
      await bSocket.next('connection:success');
      admin.send('message:reply', { sessionId: b.sessionId, text: 'untuk Bima saja' });
      const bReply = String((await admin.next('message:ack'))['messageId']);
      await bSocket.next('message:receive');

      // Broadcaster events from a listener connection are unknown events.
      aSocket.send('message:reply', { sessionId: b.sessionId, text: 'menyamar jadi penyiar' });
      await aSocket.next('error:invalid_payload');
      // Fields naming another session, a direction or a sender are ignored: A writes into A, as A.
      aSocket.send('message:send', {
        text: 'pesan A',
        sessionId: b.sessionId,
        direction: 'broadcaster',
        from: 'Penyiar A',
        adminId: '1',
      });
      await aSocket.next('message:ack');
      aSocket.send('user:typing', { isTyping: true, sessionId: b.sessionId });
      assert.deepEqual(await admin.next('user:typing'), { sessionId: a.sessionId, isTyping: true });
      assert.deepEqual(await bSocket.collect('user:typing', 150), [], 'B sees nothing of A');
      assert.deepEqual(await bSocket.collect('message:receive', 50), []);
      const aHistory = await history(a.sessionId);
      assert.deepEqual(
        aHistory.map((m) => [m.direction, m.from, m.text]),
        [['listener', 'Ana', 'pesan A']],
      );
      assert.deepEqual(
        (await history(b.sessionId)).map((m) => m.text),
        ['untuk Bima saja'],
      );

      // Reading B: not through REST with a session token, not through replay with B's ids or parameters.
      for (const path of [`/livechat/admin/sessions/${b.sessionId}/messages`, '/livechat/admin/sessions']) {
        const rest = await json(`${server.baseUrl}${path}`, { token: a.sessionToken });
        assert.ok([401, 403].includes(rest.status), `${path} with a session token: ${rest.status}`);
      }
      const replay = await TestSocket.open(
        `${listenerUrl(server, a.sessionToken, '1')}&sessionId=${b.sessionId}&session=${b.sessionId}`,
      );
      const hello = await replay.next('connection:success');
      assert.equal(hello['sessionId'], a.sessionId);
      const replayed = await replay.collect('message:receive', 200);
      assert.ok(!replayed.some((m) => m['messageId'] === bReply), "B's reply is never replayed to A");
      for (const s of [aSocket, bSocket, replay, admin]) await s.close();
      report(
        t,
        `listener acting as broadcaster / on another session (${dialect})`,
        'refused or confined to its own session',
        {
          leaked: 0,
        },
      );
    });

    test('SQL metacharacters and NUL in every id and parameter: refused or stored verbatim, never executed', async (t) => {
      const before = await counts();
      const session = await createSession(server, 'O\'Brien "DJ"; DROP TABLE sessions; --', "Jakarta'--");
      const hello = await (async () => {
        const socket = await TestSocket.open(listenerUrl(server, session.sessionToken));
        const greeting = await socket.next('connection:success');
        return { socket, greeting };
      })();
      assert.equal(hello.greeting['name'], 'O\'Brien "DJ"; DROP TABLE sessions; --', 'names stored verbatim');
      assert.equal(hello.greeting['city'], "Jakarta'--");
      const socket = hello.socket;
      const admin = await TestSocket.open(adminUrl(server, adminToken));
      await admin.next('connection:success');
      let refused = 0;
      let requests = 0;

      // clientMessageIds: stored and deduplicated as plain strings.
      for (const [i, id] of SQL.entries()) {
        socket.send('message:send', { text: `teks ${i} ${id}`, clientMessageId: id });
        const first = await socket.next('message:ack');
        socket.send('message:send', { text: `teks ${i} ${id}`, clientMessageId: id });
        const again = await socket.next('message:ack');
        assert.equal(again['duplicate'], true, id);
        assert.equal(again['messageId'], first['messageId']);
        assert.equal(again['clientMessageId'], id);
        requests += 2;
      }
      // NUL cannot be stored by PostgreSQL: refused as invalid on both databases (not "unavailable").
      for (const id of ['\u0000', 'a\u0000b', "'\u0000; DROP TABLE messages; --"]) {
        socket.send('message:send', { text: 'nul', clientMessageId: id });
        const error = await socket.next('error:invalid_payload');
        assert.equal(error['clientMessageId'], id);
        admin.send('message:reply', { sessionId: session.sessionId, text: 'nul', clientMessageId: id });
        await admin.next('error:invalid_payload');
        refused += 2;
        requests += 2;
      }
      assert.equal(socket.all('error:unavailable').length + admin.all('error:unavailable').length, 0);

      // sessionId in replies and typing, lastMessageId on the WebSocket.
      for (const id of [...SQL, `${session.sessionId}'--`, `${session.sessionId} OR 1=1`]) {
        admin.send('message:reply', { sessionId: id, text: 'x', clientMessageId: 'r' });
        await admin.next('error:invalid_payload');
        admin.send('user:typing', { sessionId: id, isTyping: true });
        await admin.next('error:invalid_payload');
        const probe = await TestSocket.open(listenerUrl(server, session.sessionToken, id));
        await probe.next('connection:success');
        await probe.next('error:invalid_payload');
        await probe.close();
        refused += 3;
        requests += 3;
      }

      // REST: path ids, after, limit.
      for (const id of SQL) {
        const path = await json(`${server.baseUrl}/livechat/admin/sessions/${encodeURIComponent(id)}/messages`, {
          token: adminToken,
        });
        assert.equal(path.status, 404, `path ${id}`);
        const afterParam = await json(
          `${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages?after=${encodeURIComponent(id)}`,
          { token: adminToken },
        );
        assert.equal(afterParam.status, 400, `after=${id}`);
        const limitParam = await json(
          `${server.baseUrl}/livechat/admin/sessions?limit=${encodeURIComponent(`1${id}`)}`,
          { token: adminToken },
        );
        assert.equal(limitParam.status, 400, `limit=1${id}`);
        refused += 3;
        requests += 3;
      }
      for (const after of ['-1', '0x10', '1e3', '99999999999999999999', '1.5', ' 1']) {
        const response = await json(
          `${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages?after=${encodeURIComponent(after)}`,
          { token: adminToken },
        );
        assert.equal(response.status, 400, `after=${after}`);
        requests += 1;
      }

      // Login: never a token, never a server error.
      for (const username of [...SQL, 'penyiar-a\u0000', "penyiar-a' --"]) {
        const login = await json(`${server.baseUrl}/livechat/admin/login`, {
          body: { username, password: "' OR '1'='1" },
        });
        assert.ok([400, 401].includes(login.status), `login as ${JSON.stringify(username)}: ${login.status}`);
        refused += 1;
        requests += 1;
      }

      const after = await counts();
      assert.equal(after.admins, before.admins, 'admins intact');
      assert.equal(after.sessions, before.sessions + 1, 'sessions intact');
      assert.equal(after.messages, before.messages + SQL.length, 'exactly the messages sent, once each');
      assert.equal((await history(session.sessionId)).length, SQL.length);
      await socket.close();
      await admin.close();
      report(
        t,
        `SQL metacharacters and NUL in every id (${dialect})`,
        'metacharacters stored verbatim and deduplicated, malformed ids refused, NUL refused as invalid; tables intact',
        {
          requests,
          refused,
          stored: SQL.length,
          duplicated: 0,
          serverErrors: 0,
        },
      );
    });

    test('the admin REST without, or with bent, credentials', async (t) => {
      const session = await createSession(server);
      const basic = Buffer.from(`${server.admin.username}:${server.admin.password}`).toString('base64');
      const paths = ['/livechat/admin/sessions', `/livechat/admin/sessions/${session.sessionId}/messages`];
      const variants: [string, Record<string, string>, string?][] = [
        ['no header', {}],
        ['empty bearer', { authorization: 'Bearer ' }],
        ['bearer without token', { authorization: 'Bearer' }],
        ['basic credentials', { authorization: `Basic ${basic}` }],
        ['token without scheme', { authorization: adminToken }],
        ['token with trailing text', { authorization: `Bearer ${adminToken} x` }],
        ['two tokens', { authorization: `Bearer ${session.sessionToken}, Bearer ${adminToken}` }],
        ['token in a cookie', { cookie: `token=${adminToken}` }],
        ['token in the query', {}, `?token=${adminToken}`],
        ['token in X-Forwarded headers', { 'x-forwarded-authorization': `Bearer ${adminToken}` }],
        ['listener token', { authorization: `Bearer ${session.sessionToken}` }],
      ];
      const failures: string[] = [];
      for (const path of paths) {
        for (const [name, headers, query] of variants) {
          const response = await fetch(`${server.baseUrl}${path}${query ?? ''}`, { headers });
          await response.text();
          if (![401, 403].includes(response.status)) failures.push(`${path} with ${name}: ${response.status}`);
        }
      }
      assert.deepEqual(failures, []);
      // Case-insensitive scheme is fine; the real token works.
      assert.equal(
        (await fetch(`${server.baseUrl}${paths[0]}`, { headers: { authorization: `bearer ${adminToken}` } })).status,
        200,
      );
      report(t, `admin REST without credentials (${dialect})`, 'every variant 401/403', {
        requests: paths.length * variants.length,
        accepted: 0,
      });
    });

    test('/metrics, open by default, exposes no session, name, token or address', async (t) => {
      const session = await createSession(server, 'Rahasia Namanya');
      const socket = await TestSocket.open(listenerUrl(server, session.sessionToken));
      await socket.next('connection:success');
      socket.send('message:send', { text: 'teks rahasia di metrik?' });
      await socket.next('message:ack');
      const metrics = await json(`${server.baseUrl}/metrics`);
      assert.equal(metrics.status, 200, 'open when LIVECHAT_METRICS_TOKEN is unset (documented)');
      const text = String(metrics.body);
      for (const secret of [
        session.sessionId,
        'Rahasia Namanya',
        session.sessionToken,
        adminToken,
        'teks rahasia',
        server.admin.password,
      ]) {
        assert.ok(!text.includes(secret), `metrics do not contain ${secret.slice(0, 20)}`);
      }
      const sessions = (await json(`${server.baseUrl}/livechat/admin/sessions?limit=500`, { token: adminToken })).body
        .sessions as { sessionId: string }[];
      assert.ok(sessions.length > 0);
      assert.deepEqual(
        sessions.filter((s) => text.includes(s.sessionId)),
        [],
        'no session id of any session in labels',
      );
      assert.doesNotMatch(text, /127\.0\.0\.1/, 'no client addresses');
      await socket.close();
      report(
        t,
        `/metrics without credentials (${dialect})`,
        'open by default (documented), but holds no session id, name, text, token or address',
        { leaked: 0 },
      );
    });
  });
}
