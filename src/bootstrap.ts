/**
 * Broadcaster accounts at start: the one named by LIVECHAT_ADMIN_* (created or
 * updated), or — outside production, when no broadcaster exists at all — a
 * first-run account whose generated password is printed once. Both are
 * managers: someone must be able to manage the other accounts.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { hashPassword, verifyPassword } from './auth/passwords.js';
import type { Config } from './config.js';
import type { Store } from './db/types.js';

export const FIRST_RUN_USERNAME = 'penyiar';
export const FIRST_RUN_NAME = 'Penyiar';

export async function ensureBroadcasters(
  config: Config,
  store: Store,
  logger: Logger,
  announce: (text: string) => void = (text) => process.stdout.write(text),
): Promise<void> {
  if (config.bootstrapAdmin) {
    const { username, password, name } = config.bootstrapAdmin;
    const existing = await store.admins.findByUsername(username);
    // Same password as stored: its tokens stay valid across restarts; a new one ends them.
    const samePassword = existing !== undefined && (await verifyPassword(password, existing.passwordHash));
    const admin =
      existing === undefined
        ? await store.admins.upsert({
            username,
            displayName: name,
            passwordHash: await hashPassword(password),
            role: 'manager',
          })
        : await store.admins.update(existing.id, {
            displayName: name,
            role: 'manager',
            ...(samePassword ? {} : { passwordHash: await hashPassword(password) }),
          });
    if (!admin) throw new Error(`the account "${username}" vanished while it was being updated`);
    logger.info({ adminId: admin.id, username }, 'broadcaster account from LIVECHAT_ADMIN_* is ready');
    return;
  }
  if (config.env === 'production' || (await store.admins.count()) > 0) return;
  const password = randomBytes(12).toString('base64url');
  await store.admins.upsert({
    username: FIRST_RUN_USERNAME,
    displayName: FIRST_RUN_NAME,
    passwordHash: await hashPassword(password),
    role: 'manager',
  });
  logger.warn({ username: FIRST_RUN_USERNAME }, 'no broadcaster account existed: created a first-run account');
  announce(
    [
      '',
      '  First-run broadcaster account (shown once; change it with `npx livechat admin:create`):',
      `    username: ${FIRST_RUN_USERNAME}`,
      `    password: ${password}`,
      '',
      '',
    ].join('\n'),
  );
}
