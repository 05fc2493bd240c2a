/**
 * A TCP fault proxy for tests: put it between the server and PostgreSQL or
 * Redis (or between a client and the server) and break the link on purpose,
 * without touching the real service that other tests share.
 *
 * - `cut()`: every open connection is reset (RST) and new ones are accepted
 *   and reset at once, as if the service had died; `restore()` forwards again.
 * - `pause()`: a network partition — nothing is forwarded in either direction
 *   and new connections are held; `resume()` lets the held bytes through in
 *   order, as TCP retransmission would once the partition heals.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

interface Link {
  client: Socket;
  upstream: Socket | undefined;
  /** Bytes held while paused, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
  /** One side closed while paused: the other side learns it only when the partition heals. */
  closePending: boolean;
}

export class FaultProxy {
  private readonly links = new Set<Link>();
  private state: 'open' | 'cut' | 'paused' = 'open';
  /** Connections accepted over the proxy's life. */
  accepted = 0;
  /** Connections reset by cut() or refused while cut. */
  reset = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new FaultProxy(server, (server.address() as AddressInfo).port, target);
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  /** A proxy in front of the host and port of a `scheme://host:port/...` URL. */
  static async forUrl(url: string): Promise<FaultProxy> {
    const parsed = new URL(url);
    return FaultProxy.start({ host: parsed.hostname, port: Number(parsed.port) });
  }

  /** The same URL, pointing at the proxy instead. */
  url(original: string): string {
    const parsed = new URL(original);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  get openConnections(): number {
    return this.links.size;
  }

  get mode(): 'open' | 'cut' | 'paused' {
    return this.state;
  }

  /** Resets every connection and refuses new ones until restore(). */
  cut(): void {
    this.state = 'cut';
    for (const link of [...this.links]) {
      this.reset += 1;
      this.drop(link, true);
    }
  }

  restore(): void {
    this.resume();
  }

  /** Stops forwarding in both directions (bytes are held, not lost); new connections wait. */
  pause(): void {
    if (this.state === 'open') this.state = 'paused';
  }

  /** Forwards again: held bytes first, in order; held connections are connected upstream. */
  resume(): void {
    this.state = 'open';
    for (const link of [...this.links]) {
      if (link.closePending) {
        this.flush(link);
        this.drop(link, false);
      } else if (link.upstream === undefined) this.connectUpstream(link);
      else this.flush(link);
    }
  }

  async close(): Promise<void> {
    for (const link of [...this.links]) this.drop(link, true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    client.on('error', () => undefined);
    if (this.state === 'cut') {
      this.reset += 1;
      client.resetAndDestroy();
      return;
    }
    const link: Link = { client, upstream: undefined, toUpstream: [], toClient: [], closePending: false };
    this.links.add(link);
    client.on('data', (chunk: Buffer) => {
      if (this.state === 'open' && link.upstream && link.toUpstream.length === 0) link.upstream.write(chunk);
      else link.toUpstream.push(chunk);
    });
    client.on('end', () => (this.state === 'open' && link.toUpstream.length === 0 ? link.upstream?.end() : undefined));
    client.on('close', () => this.drop(link, false));
    if (this.state === 'open') this.connectUpstream(link);
  }

  private connectUpstream(link: Link): void {
    const upstream = connect(this.target.port, this.target.host);
    link.upstream = upstream;
    upstream.setNoDelay(true);
    link.client.setNoDelay(true);
    upstream.on('error', () => undefined);
    upstream.on('connect', () => this.flush(link));
    upstream.on('data', (chunk: Buffer) => {
      if (this.state === 'open' && link.toClient.length === 0) link.client.write(chunk);
      else link.toClient.push(chunk);
    });
    upstream.on('end', () => (this.state === 'open' && link.toClient.length === 0 ? link.client.end() : undefined));
    upstream.on('close', () => this.drop(link, false));
  }

  private flush(link: Link): void {
    if (this.state !== 'open' || !link.upstream || link.upstream.connecting) return;
    for (const chunk of link.toUpstream.splice(0)) if (!link.upstream.destroyed) link.upstream.write(chunk);
    for (const chunk of link.toClient.splice(0)) if (!link.client.destroyed) link.client.write(chunk);
  }

  /** Ends a link: with a reset (fault), or by destroying the other side after one side closed. */
  private drop(link: Link, reset: boolean): void {
    if (!reset && this.state === 'paused') {
      // A partition: the other side does not hear about this close yet.
      link.closePending = true;
      return;
    }
    if (!this.links.delete(link)) return;
    for (const socket of [link.client, link.upstream]) {
      if (!socket || socket.destroyed) continue;
      if (reset) socket.resetAndDestroy();
      else {
        // What was written still goes out, then the connection closes.
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      }
    }
  }
}
