/**
 * The HTTP part the baselines share: the two routes the generator calls,
 * answered without any check or storage, and health probes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

let sessions = 0;

function json(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const expiresAt = new Date(Date.now() + 7_200_000).toISOString();
    if (req.method === 'POST' && req.url === '/livechat/session') {
      const sessionId = `s${++sessions}`;
      return json(res, 201, { sessionId, sessionToken: sessionId, expiresAt });
    }
    if (req.method === 'POST' && req.url === '/livechat/admin/login') {
      return json(res, 200, { token: 'relay-admin', name: 'Penyiar Relay', expiresAt });
    }
    if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) return json(res, 200, { ok: true });
    json(res, 404, { error: 'not_found', message: 'no such route' });
  });
}

export function createStubServer(): Server {
  return createServer(handle);
}

/** Listens on HOST:PORT from the environment and prints the bound port; exits on SIGTERM/SIGINT. */
export function listen(server: Server, name: string, onStop: () => void): void {
  const port = Number(process.env['PORT'] ?? 0);
  const host = process.env['HOST'] ?? '127.0.0.1';
  server.listen(port, host, () => {
    const address = server.address();
    process.stdout.write(`${name} listening on ${typeof address === 'object' && address ? address.port : port}\n`);
  });
  const stop = () => {
    onStop();
    server.closeAllConnections();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
