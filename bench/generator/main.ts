/**
 * The load generator as a child process of the orchestrator: commands in and
 * replies out over the IPC channel. Exits when the orchestrator goes away.
 */
import type { GeneratorCommand, GeneratorReply } from '../lib/types.js';
import { Generator } from './generator.js';

if (!process.send) {
  process.stderr.write('the generator runs as a child of bench/run.ts (it needs an IPC channel)\n');
  process.exit(2);
}

const generator = new Generator();
const reply = (message: GeneratorReply) => process.send!(message);

process.on('disconnect', () => {
  void generator.close().finally(() => process.exit(0));
});

let queue = Promise.resolve();
process.on('message', (command: GeneratorCommand) => {
  queue = queue.then(() => handle(command));
});

async function handle(command: GeneratorCommand): Promise<void> {
  try {
    switch (command.type) {
      case 'prepare':
        reply({ type: 'prepared', ...(await generator.prepare(command.setup)) });
        return;
      case 'connect':
        reply({ type: 'connected', result: await generator.connectListeners() });
        return;
      case 'load':
        reply({ type: 'loaded', result: await generator.load(command.params) });
        return;
      case 'quiesce':
        reply({ type: 'quiesced', outstanding: await generator.quiesce(command.timeoutMs) });
        return;
      case 'close':
        await generator.close();
        reply({ type: 'closed' });
        setTimeout(() => process.exit(0), 50);
        return;
    }
  } catch (error) {
    reply({ type: 'failed', message: (error as Error).message });
  }
}
