/** A Server-Sent Events reader for tests: the events of one stream, as they arrive. */
import { waitFor } from './wait.js';

export interface SseEvent {
  event: string;
  data: any;
}

export class SseStream {
  readonly events: SseEvent[] = [];
  private readonly controller = new AbortController();

  private constructor(readonly status: number) {}

  /** Opens the stream; a refusal resolves with its status and no events. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const stream = new SseStream(0);
    const response = await fetch(url, { headers, signal: stream.controller.signal });
    const opened = new SseStream(response.status);
    if (!response.ok || response.body === null) {
      await response.text();
      return opened;
    }
    Object.assign(opened, { controller: stream.controller });
    void opened.read(response.body);
    return opened;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
          const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
          if (event !== undefined && data !== undefined) this.events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // Aborted by close().
    }
  }

  /** Waits for an event matching `where` (received before or after the call). */
  async next(where: (event: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
    let found: SseEvent | undefined;
    await waitFor(() => (found = this.events.find(where)) !== undefined, {
      message: `an SSE event; got ${JSON.stringify(this.events)}`,
      timeoutMs,
    });
    return found!;
  }

  close(): void {
    this.controller.abort();
  }
}
