/**
 * Broadcaster password hashing with Node's built-in scrypt (memory-hard).
 *
 * Stored format (PHC string style, self-describing so the cost can be raised
 * later without invalidating existing hashes):
 *
 *   $scrypt$ln=15,r=8,p=1$<salt, base64 without padding>$<key, base64 without padding>
 *
 * `ln` is log2(N). The key length is the decoded length of the last field.
 * Passwords are normalised to Unicode NFC before hashing, so the same password
 * typed on different keyboards/platforms matches.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  r: number;
  p: number;
}

/** Parameters for new hashes (N = 2^15, r = 8, p = 1: 32 MiB, tens of ms). */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ ln: 15, r: 8, p: 1 });
const SALT_BYTES = 16;
const KEY_BYTES = 32;

/**
 * Bounds for parameters read back from storage: a corrupted or hostile stored
 * hash must not make us allocate gigabytes or spin for minutes.
 */
const LIMITS = { ln: [10, 20], r: [1, 32], p: [1, 16], salt: [16, 64], key: [16, 64] } as const;
/** scrypt memory (128 * N * r bytes) allowed for a stored hash: 8x the default. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
/** scrypt work (N * r * p) allowed for a stored hash: 16x the default. */
const MAX_WORK = 2 ** 22;

const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function within(value: number, [min, max]: readonly [number, number]): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

function derive(password: string, salt: Buffer, keyBytes: number, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln;
  const options: ScryptOptions = {
    N,
    r: params.r,
    p: params.p,
    // scrypt needs about 128 * N * r bytes; leave headroom over that.
    maxmem: 256 * N * params.r + 16 * 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function b64(buffer: Buffer): string {
  return buffer.toString('base64').replace(/=+$/, '');
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): ParsedHash | undefined {
  const match = FORMAT.exec(stored);
  if (!match) return undefined;
  const [, ln, r, p, salt64, key64] = match;
  const params = { ln: Number(ln), r: Number(r), p: Number(p) };
  const salt = Buffer.from(salt64!, 'base64');
  const key = Buffer.from(key64!, 'base64');
  // Re-encoding must give back the stored text (rejects non-canonical base64).
  if (b64(salt) !== salt64 || b64(key) !== key64) return undefined;
  if (!within(params.ln, LIMITS.ln) || !within(params.r, LIMITS.r) || !within(params.p, LIMITS.p)) return undefined;
  if (!within(salt.length, LIMITS.salt) || !within(key.length, LIMITS.key)) return undefined;
  const N = 2 ** params.ln;
  if (128 * N * params.r > MAX_MEMORY_BYTES || N * params.r * params.p > MAX_WORK) return undefined;
  return { params, salt, key };
}

/** Hashes a password with fresh salt and the given (default) parameters. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/**
 * True when `password` matches `stored`. A malformed or out-of-bounds stored
 * hash gives `false` (never a throw). The comparison is constant-time.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = typeof stored === 'string' ? parse(stored) : undefined;
  if (!parsed) return false;
  let key: Buffer;
  try {
    key = await derive(password, parsed.salt, parsed.key.length, parsed.params);
  } catch {
    return false;
  }
  return timingSafeEqual(key, parsed.key);
}

/** True when `stored` was made with other parameters than the current defaults (rehash after a successful login). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): boolean {
  const parsed = parse(stored);
  return (
    !parsed ||
    parsed.params.ln !== params.ln ||
    parsed.params.r !== params.r ||
    parsed.params.p !== params.p ||
    parsed.key.length !== KEY_BYTES
  );
}

const dummySalt = randomBytes(SALT_BYTES);
const dummyKey = randomBytes(KEY_BYTES);

/**
 * Does the work of one `verifyPassword` against a default-parameter hash and
 * resolves `false`. Call it when the username is unknown, so that the answer
 * takes as long as for a known username with a wrong password.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  const key = await derive(password, dummySalt, KEY_BYTES, DEFAULT_SCRYPT_PARAMS);
  timingSafeEqual(key, dummyKey);
  return false;
}
