/**
 * Contract v1.1 D, the live show's server side: listing filters, full-text search, CSV export,
 * stats, conversation focus, quick replies and announcements — on every database and broker,
 * then across two instances (focus, announcements, stats).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { TestSocket, adminUrl, connectListener, createSession, json, loginAdmin } from '../helpers/clients.js';
import { matrix, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { withInstances, withServer } from '../helpers/with-server.js';

const FAST_STATS = { LIVECHAT_STATS_INTERVAL_MS: '200' };

/** Stores a message directly (no rate limit), as the chat path would. */
async function store(
  server: TestServer,
  sessionId: string,
  text: string,
  direction: 'listener' | 'broadcaster' = 'listener',
) {
  const { message } = await server.server.store.messages.insert({
    sessionId,
    direction,
    senderKey: direction === 'listener' ? `session:${sessionId}` : 'admin:1',
    from: direction === 'listener' ? 'Sari' : 'Penyiar A',
    text,
  });
  return message;
}

async function openAdmin(server: TestServer, token: string): Promise<TestSocket> {
  const socket = await TestSocket.open(adminUrl(server, token));
  await socket.next('connection:success');
  return socket;
}

for (const { dialect, broker } of matrix()) {
  describe(`live show on ${dialect} with the ${broker} broker`, () => {
    const server = withServer({ dialect, broker, env: FAST_STATS });
    let token: string;
    const get = (path: string) => json(`${server.baseUrl}${path}`, { token });
    before(async () => {
      token = await loginAdmin(server);
    });

    test("filter=unanswered lists sessions whose newest message is the listener's; online those connected", async () => {
      const waiting = await createSession(server, 'Menunggu');
      const answered = await createSession(server, 'Dijawab');
      await store(server, waiting.sessionId, 'halo?');
      await store(server, answered.sessionId, 'halo');
      await store(server, answered.sessionId, 'halo juga', 'broadcaster');
      const { socket, session: connected } = await connectListener(server, 'Tersambung');
      await store(server, connected.sessionId, 'saya online');

      const unanswered = await get('/livechat/admin/sessions?filter=unanswered&limit=500');
      assert.equal(unanswered.status, 200);
      const ids = unanswered.body.sessions.map((s: { sessionId: string }) => s.sessionId);
      assert.ok(ids.includes(waiting.sessionId));
      assert.ok(!ids.includes(answered.sessionId));

      const online = await get('/livechat/admin/sessions?filter=online');
      assert.deepEqual(
        online.body.sessions.map((s: { sessionId: string; online: boolean }) => [s.sessionId, s.online]),
        [[connected.sessionId, true]],
      );
      // Paging works with a filter too.
      const first = await get('/livechat/admin/sessions?filter=unanswered&limit=1');
      assert.equal(first.body.sessions.length, 1);
      assert.equal(typeof first.body.nextCursor, 'string');
      const second = await get(`/livechat/admin/sessions?filter=unanswered&limit=1&cursor=${first.body.nextCursor}`);
      assert.notEqual(second.body.sessions[0].sessionId, first.body.sessions[0].sessionId);
      await socket.close();

      const requester = await connectListener(server, 'Peminta');
      requester.socket.send('message:send', {
        text: 'Tolong ya',
        clientMessageId: 'req-1',
        request: { title: 'Kangen', artist: 'Dewa 19' },
      });
      await requester.socket.next('message:ack');
      const requests = await get('/livechat/admin/sessions?filter=requests');
      assert.deepEqual(
        requests.body.sessions.map((s: { sessionId: string }) => s.sessionId),
        [requester.session.sessionId],
      );
      assert.equal((await get('/livechat/admin/stats')).body.openRequests, 1);
      await requester.socket.close();
      const blocked = await get('/livechat/admin/sessions?filter=blocked');
      assert.equal(blocked.status, 200);
      assert.ok(Array.isArray(blocked.body.sessions));
      const bad = await get('/livechat/admin/sessions?filter=semua');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, 'invalid_payload');
    });

    test('search finds Indonesian words as typed, newest first, and treats query syntax as text', async () => {
      const { sessionId } = await createSession(server, 'Pencari');
      const older = await store(server, sessionId, 'Tolong putarkan lagu Dewa 19 dong');
      const newer = await store(server, sessionId, 'Lagu kenangan: "Kangen" — putarkan ya!');
      await store(server, sessionId, 'Salam untuk keluarga di Bandung');

      const found = await get('/livechat/admin/search?q=putarkan%20LAGU');
      assert.equal(found.status, 200);
      assert.deepEqual(
        found.body.messages.map((m: { messageId: string }) => m.messageId),
        [newer.messageId, older.messageId],
      );
      assert.equal(found.body.messages[0].sessionId, sessionId);
      // Whole words as typed: no stemming, no prefix guessing.
      assert.equal((await get('/livechat/admin/search?q=putar')).body.messages.length, 0);
      assert.equal((await get('/livechat/admin/search?q=limit&limit=1')).body.messages.length, 0);

      for (const hostile of [
        '"',
        'lagu OR salam',
        'NEAR(lagu salam)',
        'lagu*',
        'text:lagu',
        ')(',
        "'; drop table messages; --",
        '-lagu',
        '^lagu',
      ]) {
        const response = await get(`/livechat/admin/search?q=${encodeURIComponent(hostile)}`);
        assert.equal(response.status, 200, hostile);
        for (const message of response.body.messages as { text: string }[]) {
          assert.doesNotMatch(message.text, /Salam untuk keluarga/, `${hostile} must not act as OR`);
        }
      }
      assert.equal((await get('/livechat/admin/search?q=')).status, 400);
      assert.equal((await get('/livechat/admin/search?q=lagu&limit=0')).status, 400);
      assert.equal((await json(`${server.baseUrl}/livechat/admin/search?q=lagu`)).status, 401);
    });

    test('export streams CSV of a time range, page after page, with formula cells escaped', async () => {
      const { sessionId } = await createSession(server, 'Eksportir', 'Solo');
      const from = new Date(Date.now() - 1000).toISOString();
      const texts = Array.from({ length: 1203 }, (_, i) => `pesan ${i}`);
      texts[5] = '=HYPERLINK("http://jahat.example")';
      texts[6] = '+62 812, "baris"\nkedua';
      texts[7] = '@SUM(1)';
      texts[8] = '-1';
      for (const text of texts) await store(server, sessionId, text);
      const to = new Date(Date.now() + 1000).toISOString();

      const response = await fetch(`${server.baseUrl}/livechat/admin/export?from=${from}&to=${to}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/csv/);
      // Keeps the byte order mark (text() would drop it).
      const body = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer());
      assert.ok(body.startsWith('\ufeff"id_pesan","waktu","id_sesi","arah","dari","kota","teks"\r\n'));
      assert.equal(body.split(`"${sessionId}"`).length - 1, 1203);
      assert.ok(body.includes(`"'=HYPERLINK(""http://jahat.example"")"`));
      assert.ok(body.includes(`"'+62 812, ""baris""\nkedua"`));
      assert.ok(body.includes(`"'@SUM(1)"`));
      assert.ok(body.includes(`"'-1"`));
      assert.ok(body.includes('"pendengar","Sari","Solo","pesan 1202"'));
      // In stored order: the first and the last of the range.
      assert.ok(body.indexOf('"pesan 0"') < body.indexOf('"pesan 1202"'));

      const empty = await fetch(
        `${server.baseUrl}/livechat/admin/export?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      );
      assert.equal((await empty.text()).split('\r\n').length, 2, 'only the header row');
      for (const query of [
        'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
        'from=kemarin&to=besok',
        'from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
        '',
      ]) {
        const refused = await get(`/livechat/admin/export?${query}`);
        assert.equal(refused.status, 400, query);
        assert.equal(refused.body.error, 'invalid_payload');
      }
    });

    test('stats count across the service and reach broadcasters every interval', async () => {
      const { socket: listener } = await connectListener(server, 'Statistik');
      const stats = await get('/livechat/admin/stats');
      assert.equal(stats.status, 200);
      assert.deepEqual(Object.keys(stats.body).sort(), [
        'listenersOnline',
        'messagesLastHour',
        'openRequests',
        'sessionsToday',
      ]);
      assert.equal(stats.body.listenersOnline, 1);
      assert.ok(stats.body.sessionsToday >= 1);
      assert.ok(stats.body.messagesLastHour >= 1);
      assert.equal(stats.body.openRequests, await server.server.store.requests.countOpen());
      const admin = await openAdmin(server, token);
      const first = await admin.next('stats:update', 3000);
      assert.equal(first['listenersOnline'], 1);
      await admin.next('stats:update', 3000);
      // Never to listeners.
      assert.equal(listener.all('stats:update').length, 0);
      await listener.close();
      await admin.next('stats:update', 3000, (data) => data['listenersOnline'] === 0);
      await admin.close();
    });

    test('quick replies: create, list, change, delete, with clear refusals', async () => {
      const path = '/livechat/admin/quick-replies';
      const created = await json(`${server.baseUrl}${path}`, {
        token,
        body: { shortcut: 'Salam', text: ' Halo <b>pendengar</b>! ' },
      });
      assert.equal(created.status, 201);
      assert.deepEqual(created.body, { id: created.body.id, shortcut: 'salam', text: 'Halo pendengar!' });
      const taken = await json(`${server.baseUrl}${path}`, { token, body: { shortcut: 'SALAM', text: 'lain' } });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.error, 'conflict');
      for (const body of [
        { shortcut: 'ada spasi', text: 'x' },
        { shortcut: 'ok', text: '<i></i>' },
        { shortcut: 'ok' },
        { shortcut: 'ok', text: 'x'.repeat(1001) },
      ]) {
        assert.equal((await json(`${server.baseUrl}${path}`, { token, body })).status, 400, JSON.stringify(body));
      }
      const other = await json(`${server.baseUrl}${path}`, {
        token,
        body: { shortcut: 'lagu', text: 'Lagunya segera diputar.' },
      });
      const list = await get(path);
      assert.deepEqual(
        list.body.quickReplies.map((q: { shortcut: string }) => q.shortcut),
        ['lagu', 'salam'],
      );
      const patched = await json(`${server.baseUrl}${path}/${created.body.id}`, {
        token,
        method: 'PATCH',
        body: { text: 'Halo semua!' },
      });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.text, 'Halo semua!');
      const clash = await json(`${server.baseUrl}${path}/${created.body.id}`, {
        token,
        method: 'PATCH',
        body: { shortcut: 'lagu' },
      });
      assert.equal(clash.status, 409);
      assert.equal(
        (await json(`${server.baseUrl}${path}/${created.body.id}`, { token, method: 'PATCH', body: {} })).status,
        400,
      );
      assert.equal(
        (await json(`${server.baseUrl}${path}/99999`, { token, method: 'PATCH', body: { text: 'x' } })).status,
        404,
      );
      assert.equal((await json(`${server.baseUrl}${path}/${other.body.id}`, { token, method: 'DELETE' })).status, 204);
      assert.equal((await json(`${server.baseUrl}${path}/${other.body.id}`, { token, method: 'DELETE' })).status, 404);
      assert.equal((await json(`${server.baseUrl}${path}/bukan-id`, { token, method: 'DELETE' })).status, 404);
      assert.deepEqual(
        (await get(path)).body.quickReplies.map((q: { shortcut: string }) => q.shortcut),
        ['salam'],
      );
      assert.equal((await json(`${server.baseUrl}${path}`)).status, 401);
    });

    test('an announcement reaches every connected listener, and late joiners get the newest', async () => {
      const a = await connectListener(server, 'Satu');
      const b = await connectListener(server, 'Dua');
      const admin = await openAdmin(server, token);
      const posted = await json(`${server.baseUrl}/livechat/admin/announcements`, {
        token,
        body: { text: 'Kuis dimulai! <script>x</script>' },
      });
      assert.equal(posted.status, 201);
      assert.deepEqual(Object.keys(posted.body).sort(), ['announcementId', 'createdAt']);
      for (const { socket } of [a, b]) {
        const got = await socket.next('announcement');
        assert.deepEqual(got, {
          announcementId: posted.body.announcementId,
          from: server.admin.name,
          text: 'Kuis dimulai!',
          createdAt: posted.body.createdAt,
        });
      }
      assert.equal(admin.all('announcement').length, 0);
      const late = await connectListener(server, 'Telat');
      const greeting = late.socket.frames.map((f) => f.event);
      assert.equal(greeting[0], 'connection:success');
      assert.equal((await late.socket.next('announcement'))['announcementId'], posted.body.announcementId);
      assert.equal(
        (await json(`${server.baseUrl}/livechat/admin/announcements`, { token, body: { text: '   ' } })).status,
        400,
      );
      assert.equal((await json(`${server.baseUrl}/livechat/admin/announcements`, { token, body: {} })).status, 400);
      for (const s of [a.socket, b.socket, late.socket, admin]) await s.close();
    });

    test('conversation:focus goes to every broadcaster and is cleared when its socket closes', async () => {
      const { sessionId } = await createSession(server, 'Fokus');
      const one = await openAdmin(server, token);
      const two = await openAdmin(server, token);
      one.send('conversation:focus', { sessionId });
      const seen = await two.next('conversation:focus', 5000, (d) => d['sessionId'] === sessionId);
      assert.equal(seen['name'], server.admin.name);
      assert.equal(typeof seen['adminId'], 'string');
      one.send('conversation:focus', { sessionId: '00000000-0000-4000-8000-000000000000' });
      assert.match(String((await one.next('error:invalid_payload'))['message']), /Sesi/);
      one.send('conversation:focus', { sessionId: 'bukan-uuid' });
      await one.next('error:invalid_payload');
      await one.close();
      await two.next('conversation:focus', 5000, (d) => d['sessionId'] === null);
      await two.close();
    });
  });
}

describe('live show across two instances', () => {
  const [a, b] = withInstances(2, { env: FAST_STATS });
  let token: string;
  before(async () => {
    token = await loginAdmin(a!);
  });

  test('focus, announcements and stats reach the other instance', async () => {
    const onA = await openAdmin(a!, token);
    const onB = await openAdmin(b!, token);
    const { sessionId } = await createSession(a!, 'Lintas');
    onA.send('conversation:focus', { sessionId });
    await onB.next('conversation:focus', 5000, (d) => d['sessionId'] === sessionId);

    const listenerA = await connectListener(a!, 'Di A');
    const listenerB = await connectListener(b!, 'Di B');
    await onB.next('stats:update', 5000, (d) => d['listenersOnline'] === 2);
    await onA.next('stats:update', 5000, (d) => d['listenersOnline'] === 2);

    const posted = await json(`${a!.baseUrl}/livechat/admin/announcements`, {
      token,
      body: { text: 'Selamat malam!' },
    });
    assert.equal(posted.status, 201);
    for (const listener of [listenerA, listenerB]) {
      assert.equal((await listener.socket.next('announcement'))['text'], 'Selamat malam!');
    }
    const late = await connectListener(b!, 'Telat di B');
    assert.equal((await late.socket.next('announcement'))['announcementId'], posted.body.announcementId);

    await onA.close();
    await onB.next('conversation:focus', 5000, (d) => d['sessionId'] === null);
    await waitFor(
      async () => (await json(`${b!.baseUrl}/livechat/admin/stats`, { token })).body.listenersOnline === 3,
      {
        message: 'three listeners online',
      },
    );
    for (const s of [listenerA.socket, listenerB.socket, late.socket, onB]) await s.close();
  });
});
