/**
 * Opt-in desktop notifications: new listeners and new listener messages while
 * the dashboard's tab is hidden. Asked for with a button (browsers allow the
 * permission prompt only after a gesture); a click on a notification brings
 * the tab forward and opens that conversation.
 */
export interface DesktopNote {
  title: string;
  body: string;
  sessionId: string;
}

export class DesktopNotifier {
  constructor(private readonly onOpen: (sessionId: string) => void) {}

  /** Whether this browser can show them at all. */
  get supported(): boolean {
    return typeof Notification !== 'undefined';
  }

  get permitted(): boolean {
    return this.supported && Notification.permission === 'granted';
  }

  /** Asks the browser for permission; resolves whether notifications may be shown. */
  async request(): Promise<boolean> {
    if (!this.supported) return false;
    if (Notification.permission === 'granted') return true;
    if (Notification.permission === 'denied') return false;
    try {
      return (await Notification.requestPermission()) === 'granted';
    } catch {
      return false;
    }
  }

  /** Shows one note when the tab is hidden (one per conversation at a time: the tag replaces the older). */
  show(note: DesktopNote): void {
    if (document.visibilityState !== 'hidden' || !this.permitted) return;
    // Observable hook (used by the browser tests): a desktop notification was shown.
    window.dispatchEvent(new CustomEvent('livechat:desktop-notify', { detail: note }));
    try {
      const n = new Notification(note.title, { body: note.body, tag: `livechat-${note.sessionId}` });
      n.addEventListener('click', () => {
        window.focus();
        this.onOpen(note.sessionId);
        n.close();
      });
    } catch {
      // Some browsers only allow notifications from a service worker: nothing to show then.
    }
  }
}
