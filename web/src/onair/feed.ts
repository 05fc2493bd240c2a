/**
 * The studio screen's live feed: `GET /livechat/onair/events` (Server-Sent
 * Events) read with fetch, so the key or the broadcaster's token travels in a
 * header rather than in the feed's URL. Reconnects after a drop (1 s, growing
 * to 5 s); stops for good when the key or token is refused.
 */
export interface OnAirDisplay {
  revision: number;
  onAir: {
    messageId: string;
    name: string;
    city: string;
    text: string;
    request?: { title: string; artist: string };
  } | null;
}

export type FeedStatus = 'connecting' | 'live' | 'retrying' | 'refused';

export interface FeedOptions {
  headers: Record<string, string>;
  onDisplay(display: OnAirDisplay): void;
  onStatus(status: FeedStatus): void;
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 5000;

export function followOnAir(options: FeedOptions): void {
  let retryMs = RETRY_MIN_MS;
  const connect = async (): Promise<void> => {
    options.onStatus('connecting');
    try {
      const response = await fetch('/livechat/onair/events', { headers: options.headers, cache: 'no-store' });
      if (response.status === 401 || response.status === 403) {
        options.onStatus('refused');
        return;
      }
      if (!response.ok || response.body === null) throw new Error(`feed answered ${response.status}`);
      options.onStatus('live');
      retryMs = RETRY_MIN_MS;
      await readEvents(response.body, options.onDisplay);
    } catch {
      // Dropped or not reachable: try again below.
    }
    options.onStatus('retrying');
    setTimeout(() => void connect(), retryMs);
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
  };
  void connect();
}

async function readEvents(body: ReadableStream<Uint8Array>, onDisplay: (display: OnAirDisplay) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n');
      if (!lines.includes('event: onair')) continue;
      const data = lines.find((line) => line.startsWith('data: '));
      if (data === undefined) continue;
      try {
        onDisplay(JSON.parse(data.slice(6)) as OnAirDisplay);
      } catch {
        // A damaged event: the next one carries the whole state again.
      }
    }
  }
}
