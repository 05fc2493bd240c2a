/**
 * Kysely table types. Times are integer epoch milliseconds (INTEGER in SQLite,
 * BIGINT in PostgreSQL, where the pool parses int8 as a JS number); ids of
 * auto-increment rows are numbers here and decimal strings outside `src/db`.
 */
import type { Generated, Selectable } from 'kysely';
import type { AdminRole, BlockMode, Direction, HiddenReason } from './types.js';

export interface SessionsTable {
  id: string;
  name: string;
  city: Generated<string>;
  created_at: number;
  expires_at: number;
  last_message_at: number | null;
  device_id: string | null;
  previous_session_id: string | null;
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
  /** null: visible; otherwise why it is hidden. */
  hidden_reason: Generated<HiddenReason | null>;
}

export interface AdminsTable {
  id: Generated<number>;
  username: string;
  display_name: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
  role: Generated<AdminRole>;
  disabled_at: Generated<number | null>;
  token_version: Generated<number>;
}

export interface SessionClientsTable {
  session_id: string;
  ip: string;
}

export interface BlocksTable {
  id: Generated<number>;
  session_id: string | null;
  device_id: string | null;
  ip: string | null;
  mode: BlockMode;
  reason: string | null;
  until: number | null;
  admin_id: string;
  created_at: number;
}

export interface RevokedTokensTable {
  token_id: string;
  expires_at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  admin_id: string;
  action: string;
  target: string;
  detail: string | null;
}

export interface DatabaseSchema {
  sessions: SessionsTable;
  messages: MessagesTable;
  admins: AdminsTable;
  session_clients: SessionClientsTable;
  blocks: BlocksTable;
  revoked_tokens: RevokedTokensTable;
  audit_log: AuditLogTable;
}

/** The columns of a message that the service reads back. */
export const messageColumns = [
  'id',
  'session_id',
  'direction',
  'sender_name',
  'text',
  'created_at',
  'hidden_reason',
] as const;
export type MessageRow = Pick<Selectable<MessagesTable>, (typeof messageColumns)[number]>;
