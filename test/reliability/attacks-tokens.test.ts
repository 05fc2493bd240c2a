/**
 * Token attacks against the real handshake and REST, on every surface that
 * takes a token (listener WebSocket, broadcaster WebSocket, admin REST):
 * `alg: none` in any spelling, HS/RS confusion and other algorithms, wrong or
 * missing audience and issuer, no expiry, tampered payloads and headers, the
 * other kind's token, a removed broadcaster account — and, property-based,
 * thousands of random mutations of valid tokens. Nothing may pass, and no
 * token may reach the log.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, createHmac, randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { SignJWT, type JWTPayload } from 'jose';
import { TOKEN_AUDIENCE, TokenService } from '../../src/auth/tokens.js';
import {
  TestSocket,
  adminUrl,
  createSession,
  json,
  listenerUrl,
  loginAdmin,
  upgradeStatus,
} from '../helpers/clients.js';
import { TEST_JWT_SECRET } from '../helpers/server.js';
import { captureLogs, withServer } from '../helpers/with-server.js';
import { report } from './lib/report.js';
import { reliabilityScale } from './lib/scale.js';

const scale = reliabilityScale();
const key = new TextEncoder().encode(TEST_JWT_SECRET);
const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const hmac = (alg: 'sha256' | 'sha384' | 'sha512', input: string, secret: string | Buffer = TEST_JWT_SECRET) =>
  createHmac(alg, secret).update(input).digest('base64url');
/** A compact JWS with any header and payload, signed with HMAC-SHA256 over the shared secret unless told otherwise. */
const forge = (header: object, payload: object, sign: (input: string) => string = (i) => hmac('sha256', i)) => {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${sign(input)}`;
};

describe('token attacks', () => {
  const { lines, logger } = captureLogs();
  const secrets = new Set<string>();
  let adminToken: string;
  let session: { sessionId: string; sessionToken: string };
  let listenerClaims: JWTPayload;
  let adminClaims: JWTPayload;
  let tried = 0;

  const server = withServer({ env: { LIVECHAT_HEARTBEAT_INTERVAL_MS: '1000' }, logger });
  before(async () => {
    adminToken = await loginAdmin(server);
    session = await createSession(server);
    secrets.add(adminToken).add(session.sessionToken);
    listenerClaims = JSON.parse(Buffer.from(session.sessionToken.split('.')[1]!, 'base64url').toString());
    adminClaims = JSON.parse(Buffer.from(adminToken.split('.')[1]!, 'base64url').toString());
  });

  /** Status of the token on all three surfaces: listener WS, admin WS, admin REST. */
  const surfaces = async (token: string): Promise<[number, number, number]> => {
    secrets.add(token);
    tried += 1;
    const rest = await json(`${server.baseUrl}/livechat/admin/sessions`, { token });
    return [await upgradeStatus(listenerUrl(server, token)), await upgradeStatus(adminUrl(server, token)), rest.status];
  };

  test('forged tokens are refused on every surface', async (t) => {
    const { privateKey: rsa } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { privateKey: ec } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cases: [string, JWTPayload, (p: JWTPayload) => Promise<string> | string][] = [];
    for (const [kind, claims] of [
      ['listener', listenerClaims],
      ['broadcaster', adminClaims],
    ] as const) {
      const valid = kind === 'listener' ? session.sessionToken : adminToken;
      const [, , signature] = valid.split('.');
      for (const alg of ['none', 'None', 'NONE', 'nOnE', 'NoNe']) {
        cases.push([
          `${kind}: alg ${alg}, empty signature`,
          claims,
          (p) => `${b64(JSON.stringify({ alg, typ: 'JWT' }))}.${b64(JSON.stringify(p))}.`,
        ]);
        cases.push([
          `${kind}: alg ${alg}, signature kept`,
          claims,
          (p) => `${b64(JSON.stringify({ alg }))}.${b64(JSON.stringify(p))}.${signature}`,
        ]);
      }
      cases.push([
        `${kind}: RS256 header over an HMAC with the secret`,
        claims,
        (p) => forge({ alg: 'RS256', typ: 'JWT' }, p),
      ]);
      cases.push([`${kind}: ES256 header over an HMAC with the secret`, claims, (p) => forge({ alg: 'ES256' }, p)]);
      cases.push([
        `${kind}: RS256, real RSA signature`,
        claims,
        (p) => new SignJWT(p).setProtectedHeader({ alg: 'RS256' }).sign(rsa),
      ]);
      cases.push([
        `${kind}: ES256, real EC signature`,
        claims,
        (p) => new SignJWT(p).setProtectedHeader({ alg: 'ES256' }).sign(ec),
      ]);
      cases.push([
        `${kind}: PS256, real RSA-PSS signature`,
        claims,
        (p) => new SignJWT(p).setProtectedHeader({ alg: 'PS256' }).sign(rsa),
      ]);
      cases.push([
        `${kind}: HS512 with the right secret`,
        claims,
        (p) => forge({ alg: 'HS512' }, p, (i) => hmac('sha512', i)),
      ]);
      cases.push([
        `${kind}: HS384 with the right secret`,
        claims,
        (p) => forge({ alg: 'HS384' }, p, (i) => hmac('sha384', i)),
      ]);
      cases.push([`${kind}: alg as an array`, claims, (p) => forge({ alg: ['HS256'] }, p)]);
      cases.push([
        `${kind}: jku pointing elsewhere, signed with another key`,
        claims,
        (p) => forge({ alg: 'HS256', jku: 'https://evil.example/jwks' }, p, (i) => hmac('sha256', i, 'x'.repeat(40))),
      ]);
      cases.push([
        `${kind}: unknown critical header`,
        claims,
        (p) => forge({ alg: 'HS256', crit: ['exp-in-header'], 'exp-in-header': 1 }, p),
      ]);
      cases.push([`${kind}: wrong audience`, { ...claims, aud: 'livechat:admin' }, (p) => forge({ alg: 'HS256' }, p)]);
      cases.push([`${kind}: no audience`, { ...claims, aud: undefined }, (p) => forge({ alg: 'HS256' }, p)]);
      cases.push([
        `${kind}: both audiences`,
        { ...claims, aud: [TOKEN_AUDIENCE.listener, TOKEN_AUDIENCE.broadcaster] },
        (p) => forge({ alg: 'HS256' }, p),
      ]);
      cases.push([`${kind}: wrong issuer`, { ...claims, iss: 'evil' }, (p) => forge({ alg: 'HS256' }, p)]);
      cases.push([`${kind}: no issuer`, { ...claims, iss: undefined }, (p) => forge({ alg: 'HS256' }, p)]);
      cases.push([`${kind}: no expiry`, { ...claims, exp: undefined }, (p) => forge({ alg: 'HS256' }, p)]);
      cases.push([
        `${kind}: expiry as a string`,
        { ...claims, exp: String(now() + 600) as unknown as number },
        (p) => forge({ alg: 'HS256' }, p),
      ]);
      cases.push([
        `${kind}: expired an hour ago`,
        { ...claims, iat: now() - 7200, exp: now() - 3600 },
        (p) => forge({ alg: 'HS256' }, p),
      ]);
      cases.push([
        `${kind}: issued in the future`,
        { ...claims, iat: now() + 3600, exp: now() + 7200 },
        (p) => forge({ alg: 'HS256' }, p),
      ]);
      cases.push([
        `${kind}: kind claim of the other kind`,
        { ...claims, kind: kind === 'listener' ? 'broadcaster' : 'listener' },
        (p) => forge({ alg: 'HS256' }, p),
      ]);
      cases.push([
        `${kind}: signed with another secret`,
        claims,
        (p) => forge({ alg: 'HS256' }, p, (i) => hmac('sha256', i, 'another-secret-another-secret-another-secret')),
      ]);
      cases.push([
        `${kind}: signed with an empty secret`,
        claims,
        (p) => forge({ alg: 'HS256' }, p, (i) => hmac('sha256', i, '')),
      ]);
      cases.push([
        `${kind}: payload tampered, signature kept`,
        { ...claims, name: 'Peretas', exp: now() + 10 ** 8 },
        (p) => `${valid.split('.')[0]}.${b64(JSON.stringify(p))}.${signature}`,
      ]);
      cases.push([
        `${kind}: header tampered, signature kept`,
        claims,
        () => `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT', x: 1 }))}.${valid.split('.')[1]}.${signature}`,
      ]);
      cases.push([`${kind}: signature truncated`, claims, () => valid.slice(0, -2)]);
      cases.push([`${kind}: signature padded with =`, claims, () => `${valid}=`]);
      cases.push([`${kind}: four segments`, claims, () => `${valid}.${signature}`]);
      cases.push([
        `${kind}: correctly signed, subject that does not exist`,
        { ...claims, sub: kind === 'listener' ? randomUUID() : '999999' },
        (p) => forge({ alg: 'HS256' }, p),
      ]);
    }
    const failures: string[] = [];
    for (const [name, payload, make] of cases) {
      const token = await make(payload);
      const [listenerWs, adminWs, rest] = await surfaces(token);
      // 401 where the token's own kind is expected; where the other kind is expected, a token that
      // is otherwise valid may be told apart as the wrong kind (403, as the contract allows).
      const own = name.startsWith('listener') ? [listenerWs] : [adminWs, rest];
      const other = name.startsWith('listener') ? [adminWs, rest] : [listenerWs];
      if (!own.every((s) => s === 401) || !other.every((s) => s === 401 || s === 403)) {
        failures.push(`${name}: ${[listenerWs, adminWs, rest].join('/')}`);
      }
    }
    assert.deepEqual(failures, [], 'every forged token is refused everywhere');
    report(
      t,
      'forged tokens (alg none, HS/RS confusion, aud/iss/exp/iat, tampering)',
      'all refused (401; 403 for a well-formed token of the other kind) on both WebSocket endpoints and the admin REST',
      {
        tokens: cases.length,
        requests: cases.length * 3,
        accepted: 0,
      },
    );
  });

  test('a token of one kind never passes as the other kind', async () => {
    const [listenerWs, adminWs, rest] = await surfaces(session.sessionToken);
    assert.equal(listenerWs, 101, 'control: the listener token opens the listener endpoint');
    assert.ok([401, 403].includes(adminWs), `listener token on the admin endpoint: ${adminWs}`);
    assert.ok([401, 403].includes(rest), `listener token on the admin REST: ${rest}`);
    const [listenerWs2, adminWs2, rest2] = await surfaces(adminToken);
    assert.ok([401, 403].includes(listenerWs2), `admin token on the listener endpoint: ${listenerWs2}`);
    assert.equal(adminWs2, 101);
    assert.equal(rest2, 200);
    // Re-signed by someone who knows the secret: only the kind claim relabelled still fails.
    const relabelled = await new SignJWT({ ...listenerClaims, kind: 'broadcaster', aud: TOKEN_AUDIENCE.broadcaster })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(key);
    assert.deepEqual(
      (await surfaces(relabelled)).map((s) => s !== 101 && s !== 200),
      [true, true, true],
    );
  });

  test('random mutations of valid tokens never verify (property-based)', async (t) => {
    const tokens = new TokenService(TEST_JWT_SECRET);
    const valid = [session.sessionToken, adminToken];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...alphabet)), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('replace', 'insert', 'delete'),
        async (token, edits, how) => {
          let mutated = token;
          for (const [at, char] of edits) {
            const i = at % mutated.length;
            mutated =
              how === 'replace'
                ? mutated.slice(0, i) + char + mutated.slice(i + 1)
                : how === 'insert'
                  ? mutated.slice(0, i) + char + mutated.slice(i)
                  : mutated.slice(0, i) + mutated.slice(i + 1);
          }
          fc.pre(mutated !== token);
          runs += 1;
          for (const kind of ['listener', 'broadcaster'] as const) {
            const result = await tokens.verify(mutated, kind);
            // base64url has slack bits: a change to the last character may decode to the same bytes.
            if (result.ok)
              assert.equal(
                Buffer.from(mutated.split('.')[2] ?? '', 'base64url').equals(
                  Buffer.from(token.split('.')[2]!, 'base64url'),
                ) && mutated.split('.').slice(0, 2).join('.') === token.split('.').slice(0, 2).join('.'),
                true,
                `mutation verified: ${mutated}`,
              );
          }
        },
      ),
      { numRuns: scale.fuzzRuns * 10 },
    );
    // A sample of mutations over the wire too.
    let accepted = 0;
    const sample = fc.sample(fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.constantFrom(...alphabet)), {
      numRuns: 30,
      seed: 7,
    });
    for (const [token, at, char] of sample) {
      const i = at % (token.length - 4);
      const mutated = token.slice(0, i) + char + token.slice(i + 1);
      if (mutated === token) continue;
      const statuses = await surfaces(mutated);
      if (statuses.some((s) => s === 101 || s === 200)) accepted += 1;
    }
    assert.equal(accepted, 0);
    report(t, 'random token mutations (fast-check)', 'none verified', {
      mutations: runs,
      overTheWire: sample.length,
      accepted,
    });
  });

  test('a removed broadcaster account: refused at once, and dropped where still connected', async (t) => {
    // A second broadcaster, removed by the operator straight from the database.
    const dataFile = server.server.config.database.kind === 'sqlite' ? server.server.config.database.path : undefined;
    assert.ok(dataFile, 'this test removes the account from the SQLite file');
    const { hashPassword } = await import('../../src/auth/passwords.js');
    const removed = await server.server.store.admins.upsert({
      username: 'penyiar-lama',
      displayName: 'Penyiar Lama',
      passwordHash: await hashPassword('kata-sandi-lama'),
    });
    const login = await json(`${server.baseUrl}/livechat/admin/login`, {
      body: { username: 'penyiar-lama', password: 'kata-sandi-lama' },
    });
    assert.equal(login.status, 200);
    const token: string = login.body.token;
    secrets.add(token);
    const connected = await TestSocket.open(adminUrl(server, token));
    await connected.next('connection:success');

    const db = new Database(dataFile);
    db.prepare('delete from admins where id = ?').run(Number(removed.id));
    db.close();

    assert.deepEqual(await surfaces(token).then((s) => s.slice(1)), [401, 401], 'new connections and REST refused');
    // The connection opened before the removal is closed (error:invalid_token, 4401) within a heartbeat interval.
    const closed = await Promise.race([connected.closed, new Promise<undefined>((r) => setTimeout(r, 5000))]);
    if (!closed) connected.ws.terminate();
    assert.equal(closed?.code, 4401, 'the open connection of a removed account is closed');
    assert.equal(connected.all('error:invalid_token').length, 1);
    report(t, 'removed broadcaster account', 'new upgrades and REST 401; open connection closed with 4401', {
      accepted: 0,
    });
  });

  test('no token ever reaches the log', () => {
    const log = lines.join('\n');
    assert.ok(lines.length > 50, 'the log was captured');
    const leaked = [...secrets].filter((secret) => {
      const signature = secret.split('.')[2];
      return log.includes(secret) || (signature !== undefined && signature.length >= 16 && log.includes(signature));
    });
    assert.deepEqual(leaked, []);
    assert.ok(tried > 100);
  });
});
