/**
 * Kysely table types. Times are integer epoch milliseconds (INTEGER in SQLite,
 * BIGINT in PostgreSQL, where the pool parses int8 as a JS number); ids of
 * auto-increment rows are numbers here and decimal strings outside `src/db`.
 */
import type { Generated, Selectable } from 'kysely';
import type { Direction } from './types.js';

export interface SessionsTable {
  id: string;
  name: string;
  city: Generated<string>;
  created_at: number;
  expires_at: number;
  last_message_at: number | null;
}

export interface MessagesTable {
  id: Generated<number>;
  session_id: string;
  direction: Direction;
  /** Dedup key space: `session:<id>` or `admin:<id>`. */
  sender_key: string;
  sender_name: string;
  admin_id: number | null;
  client_message_id: string | null;
  text: string;
  created_at: number;
  /** A song request sent with the message (../text/song-key.ts makes the key); null otherwise. */
  request_title: string | null;
  request_artist: string | null;
  request_key: string | null;
}

export interface AdminsTable {
  id: Generated<number>;
  username: string;
  display_name: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

export interface QuickRepliesTable {
  id: Generated<number>;
  shortcut: string;
  text: string;
  created_at: number;
  updated_at: number;
}

export interface AnnouncementsTable {
  id: Generated<number>;
  admin_id: number | null;
  sender_name: string;
  text: string;
  created_at: number;
}

/** SQLite only: the FTS5 index of message text (rowid = messages.id). */
export interface MessagesFtsTable {
  rowid: number;
  text: string;
  messages_fts: string;
}

export interface SongRequestsTable {
  /** The messageId of the group's first request. */
  id: number;
  song_key: string;
  last_message_id: number;
  status: 'open' | 'played' | 'skipped';
  updated_at: number;
}

export interface OnAirItemsTable {
  message_id: number;
  state: 'queued' | 'on_air' | 'used';
  position: number;
  by_name: string;
  updated_at: number;
}

export interface OnAirRevisionTable {
  id: number;
  revision: number;
}

export interface DatabaseSchema {
  sessions: SessionsTable;
  messages: MessagesTable;
  admins: AdminsTable;
  quick_replies: QuickRepliesTable;
  announcements: AnnouncementsTable;
  messages_fts: MessagesFtsTable;
  song_requests: SongRequestsTable;
  onair_items: OnAirItemsTable;
  onair_revision: OnAirRevisionTable;
}

/** The columns of a message that the service reads back. */
export const messageColumns = [
  'id',
  'session_id',
  'direction',
  'sender_name',
  'text',
  'created_at',
  'request_title',
  'request_artist',
] as const;
export type MessageRow = Pick<Selectable<MessagesTable>, (typeof messageColumns)[number]>;
