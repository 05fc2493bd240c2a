/**
 * The broadcasters' display names, which no listener may take (contract v1.1 A,
 * `name_reserved`). Kept as a set of {@link nameKey}s and reloaded at most
 * once per `ttlMs`, so that session creation costs no query of its own most of
 * the time and an account made elsewhere (e.g. `livechat admin:create` in
 * another process) is known within `ttlMs`.
 */
import { nameKey } from './names.js';

export interface ReservedNamesOptions {
  /** How long a loaded set is used before it is loaded again. Default 30 s. */
  ttlMs?: number;
  now?: () => number;
}

export class ReservedNames {
  private keys: Set<string> | undefined;
  private loadedAt = 0;
  private loading: Promise<Set<string>> | undefined;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly load: () => Promise<readonly string[]>,
    options: ReservedNamesOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Whether `name` equals a broadcaster display name, case- and space-insensitively. */
  async has(name: string): Promise<boolean> {
    return (await this.current()).has(nameKey(name));
  }

  private current(): Promise<Set<string>> {
    if (this.keys && this.now() - this.loadedAt < this.ttlMs) return Promise.resolve(this.keys);
    // Concurrent checks share one load; a failed load is not kept.
    this.loading ??= this.reload().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async reload(): Promise<Set<string>> {
    const startedAt = this.now();
    const keys = new Set((await this.load()).map(nameKey));
    this.keys = keys;
    this.loadedAt = startedAt;
    return keys;
  }
}
