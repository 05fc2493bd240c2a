/**
 * What every request and every message is checked against, held in memory:
 * the accounts (role, disabled, token version), the token deny-list, and the
 * blocks in force. Loaded from the database at start; a change made on any
 * instance is written to the database first, then announced on the broker's
 * moderation channel, and every instance reloads that part (one small query)
 * and applies it to its open connections. A periodic reload catches what an
 * announcement lost (the bus was down) and changes made outside the service
 * (`livechat admin:create`).
 */
import type { Logger } from 'pino';
import type { Broker, Publication } from '../broker/types.js';
import type { AdminRecord, BlockRecord, Store } from '../db/types.js';

export const moderationChannel = 'moderation';

/** What changed: the part every instance reloads. */
export type ModerationPart = 'admins' | 'revoked' | 'blocks';
const PARTS: readonly ModerationPart[] = ['admins', 'revoked', 'blocks'];

/** What a broadcaster token is checked against (from its verified claims). */
export interface AdminTokenClaims {
  adminId: string;
  tokenId: string;
  tokenVersion: number;
}

/** Where a listener is, as far as blocks go. */
export interface ListenerOrigin {
  sessionId?: string | undefined;
  deviceId?: string | null | undefined;
  ip?: string | null | undefined;
}

export interface ModerationStateOptions {
  store: Store;
  broker: Broker;
  logger: Logger;
  /** Told after a part was reloaded: apply it to open connections. */
  onChanged?: (part: ModerationPart) => void;
  /** How often everything is reloaded anyway (ms). */
  refreshIntervalMs?: number;
}

export class ModerationState {
  #admins = new Map<string, AdminRecord>();
  #revoked = new Set<string>();
  #bySession = new Map<string, BlockRecord>();
  #byDevice = new Map<string, BlockRecord>();
  #byIp = new Map<string, BlockRecord>();
  #timer: NodeJS.Timeout | undefined;
  /** Reloads in progress per part: a second request while one runs waits for one more run. */
  readonly #reloads = new Map<ModerationPart, { running: Promise<void>; again: boolean }>();

  constructor(private readonly options: ModerationStateOptions) {}

  /** Loads everything and subscribes to the moderation channel. */
  async start(): Promise<void> {
    await Promise.all(PARTS.map((part) => this.#load(part)));
    await this.options.broker.subscribe(moderationChannel);
    const interval = this.options.refreshIntervalMs ?? 30_000;
    this.#timer = setInterval(() => void this.reloadAll(), interval);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Reloads every part (after the bus was away, and periodically). */
  async reloadAll(): Promise<void> {
    await Promise.all(PARTS.map((part) => this.reload(part)));
  }

  /**
   * After this instance changed a part in the database: reloads it here, then
   * tells the other instances. Resolves once it is in force on this instance.
   */
  async changed(part: ModerationPart): Promise<void> {
    await this.reload(part);
    try {
      await this.options.broker.publish({ channel: moderationChannel, frame: JSON.stringify({ part }) });
    } catch (error) {
      // Applied here and stored; the others catch up at their next periodic reload.
      this.options.logger.warn({ err: error, part }, 'announcing a moderation change failed');
    }
  }

  /** A publication on the moderation channel (from any instance). */
  readonly deliver = (publication: Publication): void => {
    let part: unknown;
    try {
      part = (JSON.parse(publication.frame) as { part?: unknown }).part;
    } catch {
      part = undefined;
    }
    if (typeof part !== 'string' || !PARTS.includes(part as ModerationPart)) {
      this.options.logger.warn('dropped a malformed moderation announcement');
      return;
    }
    void this.reload(part as ModerationPart);
  };

  /** Reloads one part from the database; failures are logged (the previous state stays). */
  reload(part: ModerationPart): Promise<void> {
    const current = this.#reloads.get(part);
    if (current) {
      current.again = true;
      return current.running;
    }
    const entry = { running: Promise.resolve(), again: false };
    entry.running = (async () => {
      try {
        do {
          entry.again = false;
          try {
            await this.#load(part);
            this.options.onChanged?.(part);
          } catch (error) {
            this.options.logger.warn({ err: error, part }, 'reloading moderation state failed');
          }
        } while (entry.again);
      } finally {
        this.#reloads.delete(part);
      }
    })();
    this.#reloads.set(part, entry);
    return entry.running;
  }

  async #load(part: ModerationPart): Promise<void> {
    const { store } = this.options;
    if (part === 'admins') {
      const admins = await store.admins.list();
      this.#admins = new Map(admins.map((admin) => [admin.id, admin]));
    } else if (part === 'revoked') {
      this.#revoked = new Set(await store.moderation.revokedTokens(new Date()));
    } else {
      const blocks = await store.moderation.activeBlocks(new Date());
      const bySession = new Map<string, BlockRecord>();
      const byDevice = new Map<string, BlockRecord>();
      const byIp = new Map<string, BlockRecord>();
      for (const block of blocks) {
        if (block.sessionId !== null) keepStronger(bySession, block.sessionId, block);
        if (block.deviceId !== null) keepStronger(byDevice, block.deviceId, block);
        if (block.ip !== null) keepStronger(byIp, block.ip, block);
      }
      this.#bySession = bySession;
      this.#byDevice = byDevice;
      this.#byIp = byIp;
    }
  }

  /** Whether a token was logged out (checked on every admin request and upgrade, in memory). */
  isRevoked(tokenId: string): boolean {
    return this.#revoked.has(tokenId);
  }

  /**
   * Whether a token open on a connection has ended: logged out, or its account
   * (as last loaded) disabled or given a new password since. An account not
   * loaded yet (made by the command line meanwhile) ends nothing here.
   */
  hasEnded(claims: AdminTokenClaims): boolean {
    if (this.#revoked.has(claims.tokenId)) return true;
    const admin = this.#admins.get(claims.adminId);
    return admin !== undefined && !accepts(admin, claims);
  }

  /** An account as last loaded (an account made meanwhile by the command line: after the next reload). */
  admin(adminId: string): AdminRecord | undefined {
    return this.#admins.get(adminId);
  }

  admins(): AdminRecord[] {
    return [...this.#admins.values()];
  }

  /** The block in force for a listener (a ban before a mute), undefined when none. */
  blockOf(origin: ListenerOrigin, now = Date.now()): BlockRecord | undefined {
    const found = [
      origin.sessionId === undefined ? undefined : this.#bySession.get(origin.sessionId),
      origin.deviceId ? this.#byDevice.get(origin.deviceId) : undefined,
      origin.ip ? this.#byIp.get(origin.ip) : undefined,
    ].filter((block): block is BlockRecord => block !== undefined && inForce(block, now));
    return found.find((block) => block.mode === 'ban') ?? found[0];
  }

  /** The ban in force for a listener, undefined when none. */
  banOf(origin: ListenerOrigin, now = Date.now()): BlockRecord | undefined {
    const block = this.blockOf(origin, now);
    return block?.mode === 'ban' ? block : undefined;
  }

  /** Whether this session's messages are stored hidden (checked per message: two map lookups). */
  isMuted(sessionId: string, now = Date.now()): boolean {
    const block = this.#bySession.get(sessionId);
    return block !== undefined && block.mode === 'mute' && inForce(block, now);
  }

  /** The session's own block (by session id), for listings. */
  sessionBlock(sessionId: string, now = Date.now()): BlockRecord | undefined {
    const block = this.#bySession.get(sessionId);
    return block !== undefined && inForce(block, now) ? block : undefined;
  }
}

/** Whether an account (as stored) accepts a token of this version. */
export function accepts(admin: AdminRecord, claims: Pick<AdminTokenClaims, 'tokenVersion'>): boolean {
  return !admin.disabled && admin.tokenVersion === claims.tokenVersion;
}

function inForce(block: BlockRecord, now: number): boolean {
  return block.until === null || block.until.getTime() > now;
}

/** One block per key: a ban wins over a mute, then the newest. */
function keepStronger(map: Map<string, BlockRecord>, key: string, block: BlockRecord): void {
  const existing = map.get(key);
  if (existing && existing.mode === 'ban' && block.mode === 'mute') return;
  map.set(key, block);
}
