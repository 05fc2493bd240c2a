#!/usr/bin/env node
// Entry point of the `livechat` command. The TypeScript sources are compiled to
// dist/ by `npm run build` (run automatically by `npm install` and `npm start`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('livechat: dist/ is missing; run `npm run build` first.');
  process.exit(1);
}
const { main } = await import(cli.href);
await main(process.argv.slice(2));
