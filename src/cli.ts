/**
 * The `livechat` command.
 *   livechat start [--workers N]        run the server (N processes with Redis)
 *   livechat admin:create --username U --name "Display Name" [--role penyiar|manager]
 *                                       create or update a broadcaster; password from stdin
 */
import { parseArgs } from 'node:util';
import { hashPassword } from './auth/passwords.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openStore } from './db/index.js';
import { runServerProcess } from './process.js';

const USAGE = `Usage:
  livechat start [--workers N]
  livechat admin:create --username USERNAME --name "Display Name" [--role penyiar|manager]
                                       (password on standard input; a new account is a penyiar
                                       unless --role says otherwise, an existing one keeps its role)
`;

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'start':
        return await start(rest);
      case 'admin:create':
        return await adminCreate(rest);
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return;
      default:
        fail(`unknown command "${command}"\n${USAGE}`);
    }
  } catch (error) {
    if (error instanceof ConfigError) fail(`configuration error: ${error.message}`);
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      fail(`${error.message}\n${USAGE}`);
    throw error;
  }
}

function fail(message: string): never {
  process.stderr.write(`livechat: ${message}\n`);
  process.exit(1);
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { workers: { type: 'string' } }, strict: true });
  const env = { ...process.env };
  if (values.workers !== undefined) env['LIVECHAT_WORKERS'] = values.workers;
  const config: Config = loadConfig(env);
  await runServerProcess(config);
}

async function adminCreate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { username: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
    strict: true,
  });
  const username = values.username?.trim();
  const name = values.name?.trim();
  if (!username || !/^[A-Za-z0-9._-]{1,100}$/.test(username)) fail('--username is required (letters, digits, . _ -)');
  if (!name || name.length > 50) fail('--name is required (1–50 characters)');
  const role = values.role;
  if (role !== undefined && role !== 'penyiar' && role !== 'manager') fail('--role must be penyiar or manager');
  const password = await readPassword();
  if (password.length < 8) fail('the password (standard input) must be at least 8 characters long');

  const config = loadConfig(process.env);
  const store = await openStore({ database: config.database, sqliteSynchronous: config.sqliteSynchronous });
  try {
    await store.migrate();
    const passwordHash = await hashPassword(password);
    const existing = await store.admins.findByUsername(username);
    // An existing account: a new password ends its tokens (running servers notice within 30 s).
    const admin =
      existing === undefined
        ? await store.admins.upsert({ username, displayName: name, passwordHash, role: role ?? 'penyiar' })
        : await store.admins.update(existing.id, { displayName: name, passwordHash, role });
    if (!admin) fail(`the account "${username}" vanished while it was being updated`);
    process.stdout.write(`broadcaster "${admin.username}" (${admin.displayName}, ${admin.role}) is ready\n`);
  } finally {
    await store.close();
  }
}

/** The first line of standard input (prompting when it is a terminal). */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}
