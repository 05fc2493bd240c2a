/**
 * Migrations live in code (not in files read at run time) so the compiled
 * dist works from anywhere. Names sort in the order they run; never rename or
 * edit a migration that shipped, add a new one.
 */
import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';
import { sessionsActivity } from './0002-sessions-activity.js';
import { sessionLinks } from './0003-session-links.js';
import { moderation } from './0004-moderation.js';
import { showTools } from './0005-show-tools.js';
import { liveShow } from './0006-live-show.js';
import { deferredSearchIndex } from './0007-deferred-search-index.js';

export type DialectKind = 'sqlite' | 'postgres';

export function migrationProvider(dialect: DialectKind): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '0001-initial': initial(dialect),
        '0002-sessions-activity': sessionsActivity,
        '0003-session-links': sessionLinks,
        '0004-moderation': moderation(dialect),
        '0005-show-tools': showTools(dialect),
        '0006-live-show': liveShow(dialect),
        '0007-deferred-search-index': deferredSearchIndex(dialect),
      };
    },
  };
}
