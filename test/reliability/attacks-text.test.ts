/**
 * Text attacks (issue 19, contract v1.1 A): strings that are not well-formed
 * UTF-16 are refused everywhere and nothing of them is stored; listener names
 * cannot pass for a broadcaster's; message text loses bidi controls; the ack
 * carries the text as stored.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { TestSocket, adminUrl, connectListener, json, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { matrix } from '../helpers/server.js';
import { withServer } from '../helpers/with-server.js';

for (const { dialect, broker } of matrix()) {
  describe(`text attacks on ${dialect} with the ${broker} broker`, () => {
    const server = withServer({ dialect, broker });
    let adminToken: string;
    before(async () => {
      adminToken = await loginAdmin(server);
    });

    const listener = () => connectListener(server);
    const stored = async (sessionId: string) =>
      (await json(`${server.baseUrl}/livechat/admin/sessions/${sessionId}/messages`, { token: adminToken })).body
        .messages as { text: string }[];

    test('lone surrogates in REST strings are refused with 400 invalid_payload', async () => {
      for (const body of [{ name: 'Budi\ud800' }, { name: 'Budi', city: '\udfffBandung' }, { name: '\ud83d' }]) {
        const created = await json(`${server.baseUrl}/livechat/session`, { body });
        assert.equal(created.status, 400, JSON.stringify(body));
        assert.equal(created.body.error, 'invalid_payload');
      }
      const login = await json(`${server.baseUrl}/livechat/admin/login`, {
        body: { username: 'penyiar-a\ud800', password: server.admin.password },
      });
      assert.equal(login.status, 400);
      assert.equal(login.body.error, 'invalid_payload');
    });

    test('lone surrogates in frames are refused with error:invalid_payload and nothing is stored', async () => {
      const { session, socket } = await listener();
      for (const data of [
        { text: 'hai', clientMessageId: 'x\ud800' },
        { text: 'hai', clientMessageId: 'x\udfff' },
        { text: 'a\ud83d b', clientMessageId: 'c-text' },
        { text: 'b\udc00', clientMessageId: 'c-low' },
      ]) {
        socket.send('message:send', data);
        assert.equal((await socket.next('error:invalid_payload'))['clientMessageId'], data.clientMessageId);
      }
      // Pairs are fine, the connection stays open and usable.
      socket.send('message:send', { text: 'lagu 🎵', clientMessageId: 'ok-1' });
      assert.equal((await socket.next('message:ack'))['clientMessageId'], 'ok-1');
      assert.deepEqual(
        (await stored(session.sessionId)).map((m) => m.text),
        ['lagu 🎵'],
      );

      const admin = await TestSocket.open(adminUrl(server, adminToken));
      await admin.next('connection:success');
      admin.send('message:reply', { sessionId: session.sessionId, text: 'halo\ud800', clientMessageId: 'r-1' });
      assert.equal((await admin.next('error:invalid_payload'))['clientMessageId'], 'r-1');
      admin.send('message:reply', { sessionId: session.sessionId, text: 'halo', clientMessageId: 'r\udbff' });
      await admin.next('error:invalid_payload');
      assert.equal((await stored(session.sessionId)).length, 1);
      socket.ws.close();
      admin.ws.close();
    });

    test('spoofed names are normalised, and broadcaster names are reserved (item 6)', async () => {
      const shownName = async (name: string, city?: string) => {
        const created = await json(`${server.baseUrl}/livechat/session`, { body: { name, city } });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const socket = await TestSocket.open(listenerUrl(server, created.body.sessionToken));
        const success = await socket.next('connection:success');
        socket.ws.close();
        return [success['name'], success['city']];
      };
      assert.deepEqual(await shownName('\u202EA raiyneP', 'Ban\u200Bdung\n'), ['A raiyneP', 'Bandung']);
      assert.deepEqual(await shownName('Budi\nSantoso\r\n', ' Jakarta \u2066Selatan'), [
        'Budi Santoso',
        'Jakarta Selatan',
      ]);

      const refused = async (name: string) => {
        const created = await json(`${server.baseUrl}/livechat/session`, { body: { name, city: 'Bandung' } });
        assert.equal(created.status, 400, JSON.stringify(name));
        return created.body.error as string;
      };
      for (const name of ['\u200B', '\u202E\u200E', ' \n ', '...', '\u00AD\uFEFF'])
        assert.equal(await refused(name), 'invalid_payload');
      // The test server's broadcaster is "Penyiar A".
      for (const name of ['Penyiar A', 'penyiar a', ' PENYIAR   A ', 'Penyiar\nA', '\u202EPenyiar A', 'PenyiarA'])
        assert.equal(await refused(name), 'name_reserved', JSON.stringify(name));
    });

    test('message text loses bidi controls, emoji joiners stay (item 6)', async () => {
      const { session, socket } = await listener();
      socket.send('message:send', {
        text: '\u202Eabc\u202C dan \u2067x\u2069 👨\u200D👩\u200D👧',
        clientMessageId: 'b-1',
      });
      await socket.next('message:ack');
      assert.deepEqual(
        (await stored(session.sessionId)).map((m) => m.text),
        ['abc dan x 👨\u200D👩\u200D👧'],
      );
      socket.ws.close();
    });

    test('message:ack carries the text as stored, the one everybody else sees (item 11)', async () => {
      const { session, socket } = await listener();
      const admin = await TestSocket.open(adminUrl(server, adminToken));
      await admin.next('connection:success');
      socket.send('message:send', { text: '  <b>halo</b> <script>x()</script>dunia ', clientMessageId: 'm-1' });
      const ack = await socket.next('message:ack');
      const seen = await admin.next('message:new', 5000, (m) => m['sessionId'] === session.sessionId);
      assert.equal(ack['text'], 'halo dunia');
      assert.equal(ack['text'], seen['text']);
      // A resend is acked as a duplicate with the first message's stored text.
      socket.send('message:send', { text: 'lain', clientMessageId: 'm-1' });
      const again = await socket.next('message:ack', 5000, (a) => a['duplicate'] === true);
      assert.equal(again['text'], 'halo dunia');

      admin.send('message:reply', { sessionId: session.sessionId, text: '<i>siap</i>', clientMessageId: 'r-1' });
      const replyAck = await admin.next('message:ack', 5000, (a) => a['clientMessageId'] === 'r-1');
      assert.equal(replyAck['text'], 'siap');
      assert.equal((await socket.next('message:receive'))['text'], 'siap');
      socket.ws.close();
      admin.ws.close();
    });
  });
}
