/** Storage interfaces of the live show (contract v1.1 D): quick replies, announcements, search, export, counts. */
import type { StoredMessage } from './types.js';

export interface QuickReplyRecord {
  id: string;
  shortcut: string;
  text: string;
}

export interface QuickReplyRepository {
  /** Every quick reply, by shortcut. */
  list(): Promise<QuickReplyRecord[]>;
  count(): Promise<number>;
  /** Undefined when the shortcut is taken. */
  create(reply: { shortcut: string; text: string }): Promise<QuickReplyRecord | undefined>;
  /** `missing` when there is no such id, `taken` when the new shortcut belongs to another one. */
  update(id: string, change: { shortcut?: string; text?: string }): Promise<QuickReplyRecord | 'missing' | 'taken'>;
  /** False when there was no such id. */
  remove(id: string): Promise<boolean>;
}

export interface AnnouncementRecord {
  announcementId: string;
  adminId: string | null;
  from: string;
  text: string;
  createdAt: Date;
}

export interface AnnouncementRepository {
  create(announcement: { adminId: string; from: string; text: string; createdAt: Date }): Promise<AnnouncementRecord>;
  /** The newest announcement made at or after `since`, if any. */
  latestSince(since: Date): Promise<AnnouncementRecord | undefined>;
}

export interface MessageSearch {
  /**
   * Messages whose text holds every word of `words` (whole words, as typed;
   * case-insensitive), newest first. Words are plain strings: the query
   * syntax of the full-text engine is never exposed.
   */
  search(words: readonly string[], limit: number): Promise<StoredMessage[]>;
  /**
   * One page of the messages stored in [from, to), by storage time then id,
   * starting after `after` (the last row of the previous page): for streaming an export.
   */
  exportPage(range: { from: Date; to: Date }, after: ExportPosition | undefined, limit: number): Promise<ExportRow[]>;
}

/** Where an export page ends: the storage time (epoch ms) and row id of its last message. */
export interface ExportPosition {
  createdAt: number;
  id: number;
}

/** A message as the export writes it: the stored message and the session's city. */
export interface ExportRow extends StoredMessage {
  /** The export's paging position. */
  position: ExportPosition;
  city: string;
}

export interface ShowCounts {
  sessionsCreatedSince(since: Date): Promise<number>;
  messagesSince(since: Date): Promise<number>;
}
