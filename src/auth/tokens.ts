/**
 * Session (listener) and admin (broadcaster) tokens: HS256 JWTs.
 *
 * - The algorithm is pinned to HS256 on verification, so `alg: none` (in any
 *   spelling) and RS/HS confusion are refused by jose before any claim is read.
 * - One issuer; one audience per kind, plus a `kind` claim that must agree with
 *   it. A listener token can never pass as a broadcaster token or vice versa.
 * - `exp` is required; the clock tolerance is a few seconds.
 * - Claims are validated with zod after the signature check, so a correctly
 *   signed token with a malformed sessionId is still refused.
 *
 * Claims layout: `sub` = sessionId / adminId, `kind`, `name`, (listener)
 * `city`, (broadcaster) `jti` and `ver`; standard `iss`, `aud`, `iat`, `exp`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';
import { sessionIdSchema } from '../protocol/events.js';

export const TOKEN_ISSUER = 'livechat';
export const TOKEN_AUDIENCE = {
  listener: 'livechat:listener',
  broadcaster: 'livechat:broadcaster',
} as const;
export type TokenKind = keyof typeof TOKEN_AUDIENCE;

/** Longest token accepted; checked before anything is parsed. */
export const MAX_TOKEN_LENGTH = 4096;
/** Clock skew tolerated on `exp` / `iat`, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 5;
/** Minimum secret length (bytes), as the contract requires of LIVECHAT_JWT_SECRET. */
export const MIN_SECRET_BYTES = 32;

/** Limits of names carried in tokens, in Unicode code points. */
export const MAX_LISTENER_NAME_LENGTH = 50;
export const MAX_CITY_LENGTH = 50;
export const MAX_BROADCASTER_NAME_LENGTH = 100;

const ALGORITHM = 'HS256';

export interface ListenerClaims {
  kind: 'listener';
  sessionId: string;
  name: string;
  city: string;
  issuedAt: Date;
  expiresAt: Date;
}

export interface BroadcasterClaims {
  kind: 'broadcaster';
  adminId: string;
  name: string;
  /** `jti`: what logout puts on the deny-list (tokens signed before ids existed: a digest of the token). */
  tokenId: string;
  /** `ver`: the account's token version when signed (0 when absent); a higher one on the account refuses it. */
  tokenVersion: number;
  issuedAt: Date;
  expiresAt: Date;
}

export interface ClaimsByKind {
  listener: ListenerClaims;
  broadcaster: BroadcasterClaims;
}

/**
 * Why verification failed. `wrong_kind`: a valid token of the other kind
 * (callers answer 403); everything else is 401.
 */
export type TokenFailure = 'missing' | 'malformed' | 'invalid' | 'expired' | 'wrong_kind';

export type TokenResult<K extends TokenKind = TokenKind> =
  { ok: true; claims: ClaimsByKind[K] } | { ok: false; reason: TokenFailure };

export interface SignedToken {
  token: string;
  expiresAt: Date;
}

function codePoints(min: number, max: number) {
  return z.string().refine((s) => {
    const length = [...s].length;
    return length >= min && length <= max;
  }, `must be ${min}–${max} characters`);
}

const adminIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const listenerNameSchema = codePoints(1, MAX_LISTENER_NAME_LENGTH);
const citySchema = codePoints(0, MAX_CITY_LENGTH);
const broadcasterNameSchema = codePoints(1, MAX_BROADCASTER_NAME_LENGTH);
const numericDate = z.number().int().nonnegative();

/** Payload of a verified listener token (iss/aud/exp already checked by jose). */
const listenerPayloadSchema = z.object({
  kind: z.literal('listener'),
  aud: z.literal(TOKEN_AUDIENCE.listener),
  sub: sessionIdSchema,
  name: listenerNameSchema,
  city: citySchema,
  iat: numericDate,
  exp: numericDate,
});

const broadcasterPayloadSchema = z.object({
  kind: z.literal('broadcaster'),
  aud: z.literal(TOKEN_AUDIENCE.broadcaster),
  sub: adminIdSchema,
  name: broadcasterNameSchema,
  jti: z.string().min(1).max(64).optional(),
  ver: z.number().int().nonnegative().optional(),
  iat: numericDate,
  exp: numericDate,
});

function toClaims(kind: TokenKind, payload: JWTPayload, token: string): ListenerClaims | BroadcasterClaims | undefined {
  if (kind === 'listener') {
    const parsed = listenerPayloadSchema.safeParse(payload);
    if (!parsed.success) return undefined;
    const p = parsed.data;
    return {
      kind: 'listener',
      sessionId: p.sub,
      name: p.name,
      city: p.city,
      issuedAt: new Date(p.iat * 1000),
      expiresAt: new Date(p.exp * 1000),
    };
  }
  const parsed = broadcasterPayloadSchema.safeParse(payload);
  if (!parsed.success) return undefined;
  const p = parsed.data;
  return {
    kind: 'broadcaster',
    adminId: p.sub,
    name: p.name,
    tokenId: p.jti ?? createHash('sha256').update(token).digest('base64url').slice(0, 32),
    tokenVersion: p.ver ?? 0,
    issuedAt: new Date(p.iat * 1000),
    expiresAt: new Date(p.exp * 1000),
  };
}

/** Three base64url segments (the signature may be empty, which jose then refuses). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export interface TokenServiceOptions {
  /** Current time in milliseconds; defaults to Date.now (tests move it). */
  now?: () => number;
}

export class TokenService {
  /**
   * The HMAC key, imported once: given the secret's bytes, jose would import
   * them into a new key for every token it signs or verifies (a connection
   * storm's largest cost after the handshake itself).
   */
  readonly #key: Promise<CryptoKey>;
  readonly #now: () => number;

  constructor(secret: string, options: TokenServiceOptions = {}) {
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
      throw new RangeError(`token secret must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    this.#key = crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    this.#now = options.now ?? Date.now;
  }

  /** Signs a session token. Rejects if the claims would not verify (bad sessionId, name or city). */
  async signListener(
    claims: { sessionId: string; name: string; city: string },
    ttlSeconds: number,
  ): Promise<SignedToken> {
    sessionIdSchema.parse(claims.sessionId);
    listenerNameSchema.parse(claims.name);
    citySchema.parse(claims.city);
    return this.#sign('listener', claims.sessionId, { name: claims.name, city: claims.city }, ttlSeconds);
  }

  /** Signs an admin token. Rejects if the claims would not verify (bad adminId or name). */
  async signBroadcaster(
    claims: { adminId: string; name: string; tokenVersion?: number },
    ttlSeconds: number,
  ): Promise<SignedToken> {
    adminIdSchema.parse(claims.adminId);
    broadcasterNameSchema.parse(claims.name);
    return this.#sign(
      'broadcaster',
      claims.adminId,
      { name: claims.name, jti: randomUUID(), ver: claims.tokenVersion ?? 0 },
      ttlSeconds,
    );
  }

  async #sign(
    kind: TokenKind,
    subject: string,
    extra: Record<string, string | number>,
    ttlSeconds: number,
  ): Promise<SignedToken> {
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new RangeError(`ttlSeconds must be a positive whole number, got ${ttlSeconds}`);
    }
    const issuedAt = Math.floor(this.#now() / 1000);
    const expiresAt = issuedAt + ttlSeconds;
    const token = await new SignJWT({ kind, ...extra })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE[kind])
      .setSubject(subject)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(await this.#key);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /**
   * Verifies a token of the expected kind. Never throws for bad input.
   * - `missing`: no token (undefined, null or empty);
   * - `malformed`: not a compact JWS, too long, or undecodable header/payload;
   * - `invalid`: bad signature, algorithm other than HS256, wrong issuer or
   *   audience, missing `exp`, or claims that fail validation;
   * - `expired`: correctly signed but past `exp` (beyond the tolerance);
   * - `wrong_kind`: a valid token of the other kind.
   *
   * `expiredGraceSeconds` accepts a token that long past its `exp`.
   */
  verify(
    token: string | undefined | null,
    kind: 'listener',
    options?: { expiredGraceSeconds?: number },
  ): Promise<TokenResult<'listener'>>;
  verify(token: string | undefined | null, kind: 'broadcaster'): Promise<TokenResult<'broadcaster'>>;
  verify(token: string | undefined | null, kind: TokenKind): Promise<TokenResult>;
  async verify(
    token: string | undefined | null,
    kind: TokenKind,
    options: { expiredGraceSeconds?: number } = {},
  ): Promise<TokenResult> {
    if (typeof token !== 'string' || token === '') return { ok: false, reason: 'missing' };
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return { ok: false, reason: 'malformed' };

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.#key, {
        algorithms: [ALGORITHM],
        issuer: TOKEN_ISSUER,
        // Both audiences pass here so that a valid token of the other kind can
        // be told apart (wrong_kind); the kind is decided below.
        audience: [TOKEN_AUDIENCE.listener, TOKEN_AUDIENCE.broadcaster],
        requiredClaims: ['exp', 'iat', 'sub'],
        // A grace accepts a token this long past its expiry (linking a new session to an old one).
        clockTolerance: CLOCK_TOLERANCE_SECONDS + (options.expiredGraceSeconds ?? 0),
        currentDate: new Date(this.#now()),
      }));
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
    // jose checks that iat lies in the past only together with maxTokenAge.
    if (typeof payload.iat === 'number' && payload.iat > Math.floor(this.#now() / 1000) + CLOCK_TOLERANCE_SECONDS) {
      return { ok: false, reason: 'invalid' };
    }

    const claims = toClaims(kind, payload, token);
    if (claims) return { ok: true, claims };
    const other: TokenKind = kind === 'listener' ? 'broadcaster' : 'listener';
    if (toClaims(other, payload, token)) return { ok: false, reason: 'wrong_kind' };
    return { ok: false, reason: 'invalid' };
  }
}

function failureOf(error: unknown): TokenFailure {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'malformed';
  // Signature mismatch, algorithm not allowed, claim checks (iss, aud, missing
  // exp, iat in the future...), unsupported headers, anything unexpected.
  return 'invalid';
}
