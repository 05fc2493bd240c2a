/**
 * LIVECHAT_ALLOWED_ORIGINS: when set, a request whose Origin header is present
 * and not in the list is refused (403). Requests without Origin (non-browser
 * clients) pass. `null` (sandboxed frames, file://) is never in the list.
 */
export function isOriginAllowed(origin: string | undefined, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined || origin === undefined) return true;
  return allowed.includes(origin);
}
