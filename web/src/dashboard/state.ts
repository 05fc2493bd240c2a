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

export interface Auth {
  token: string;
  name: string;
  expiresAt: string;
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
    erased: new Set(),
  };
}

export interface Dashboard {
  state: DashboardState;
  loop: RenderLoop;
}
