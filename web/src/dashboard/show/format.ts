/** Date and time of a message in search results (another day than today, so both). */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const lang = document.documentElement.lang === 'en' ? 'en-GB' : 'id-ID';
  return date.toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A `datetime-local` input's value for a time (local time, minutes). */
export function toLocalInput(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
