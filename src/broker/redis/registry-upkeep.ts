/**
 * Keeps this instance's registry entries alive in Redis (and re-adds what a
 * Redis restart lost), and finds the sessions whose entries all expired because
 * their instance died. One run of each at a time; failures wait for the next tick.
 */
import type { Logger } from 'pino';
import type { RedisRegistry } from './redis-registry.js';

export class RegistryUpkeep {
  /** Registry members a refresh had to re-add. */
  readded = 0;
  private refreshing = false;
  private sweeping = false;

  constructor(
    private readonly registry: RedisRegistry,
    private readonly logger: Logger,
    /** Told about sessions taken out by a sweep (unless `stopped()` by then). */
    private readonly onExpired: (sessionIds: string[]) => void,
    private readonly stopped: () => boolean,
  ) {}

  async refresh(): Promise<void> {
    if (this.refreshing || this.stopped()) return;
    this.refreshing = true;
    try {
      const readded = await this.registry.refresh();
      if (readded > 0) {
        this.readded += readded;
        this.logger.warn({ readded }, 'registry: re-added entries Redis had lost');
      }
    } catch (error) {
      this.logger.debug({ err: error }, 'registry refresh failed');
    } finally {
      this.refreshing = false;
    }
  }

  async sweep(): Promise<void> {
    if (this.sweeping || this.stopped()) return;
    this.sweeping = true;
    try {
      const expired = await this.registry.sweep();
      if (expired.length > 0 && !this.stopped()) this.onExpired(expired);
    } catch (error) {
      this.logger.debug({ err: error }, 'registry sweep failed');
    } finally {
      this.sweeping = false;
    }
  }
}
