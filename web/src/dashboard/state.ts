/**
 * The dashboard's state: one object the sync module changes (through the
 * model's functions) and the views read. Whoever changes it marks the
 * regions to render again on `loop`.
 */
import { store } from '../shared/dom.js';
import { initialLang, strings, type Lang, type Strings } from '../shared/i18n.js';
import type { Conversation, PendingReply } from './model.js';
import type { RenderLoop } from './render-loop.js';

export const AUTH_KEY = 'suara-pendengar.dashboard.auth';
export const READ_KEY = 'suara-pendengar.dashboard.read';
export const MUTE_KEY = 'suara-pendengar.dashboard.muted';
/** Replies not stored yet, kept for the account that wrote them (see persistence.ts). */
export const OUTBOX_KEY = 'suara-pendengar.dashboard.outbox';
/** Drafts per conversation and the open conversation, kept across a re-login. */
export const DRAFTS_KEY = 'suara-pendengar.dashboard.drafts';
export const DESKTOP_NOTIFY_KEY = 'suara-pendengar.dashboard.desktop-notify';

export interface Auth {
  token: string;
  name: string;
  expiresAt: string;
  /** Who logged in (the saved outbox and drafts belong to this account). */
  username?: string;
  /** From the login answer and `connection:success`: managers see the "Akun" page. */
  role?: 'penyiar' | 'manager';
}

export interface DashboardState {
  lang: Lang;
  t: Strings;
  view: 'login' | 'main';
  auth: Auth | undefined;
  loginMessage: string;
  muted: boolean;
  selected: string | undefined;
  conversations: Map<string, Conversation>;
  /** Session ids newest first; undefined when it must be worked out again. */
  order: string[] | undefined;
  pending: Map<string, PendingReply>;
  drafts: Map<string, string>;
  readMarkers: Record<string, string>;
  /** The session list shows only the conversations this accepts (a triage filter), all without it. */
  listFilter?: ((conv: Conversation) => boolean) | undefined;
  /** The socket is open: presence is known (else shown as unknown). */
  connected: boolean;
  /** Sessions a reply found ended (`error:session_ended`) → the linked newer session, or null. */
  endedSessions: Map<string, string | null>;
  /** The login ends soon: the warning with "log in again" shows. */
  loginEndingAt: string | undefined;
  /** Desktop notifications asked for (and allowed by the browser). */
  desktopNotify: boolean;
  /** Sessions erased while this page is open: events arriving late for them are dropped. */
  erased: Set<string>;
}

export function initialState(): DashboardState {
  const lang = initialLang();
  return {
    lang,
    t: strings(lang),
    view: 'login',
    auth: undefined,
    loginMessage: '',
    muted: store.get<boolean>(MUTE_KEY) === true,
    selected: undefined,
    conversations: new Map(),
    order: undefined,
    pending: new Map(),
    drafts: new Map(),
    readMarkers: store.get<Record<string, string>>(READ_KEY) ?? {},
    connected: false,
    endedSessions: new Map(),
    loginEndingAt: undefined,
    desktopNotify: store.get<boolean>(DESKTOP_NOTIFY_KEY) === true,
    erased: new Set(),
  };
}

export interface Dashboard {
  state: DashboardState;
  loop: RenderLoop;
}
