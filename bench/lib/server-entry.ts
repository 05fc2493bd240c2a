/** Starts the live-chat server exactly like `livechat start`, from source. */
import { main } from '../../src/cli.js';

await main(['start']);
