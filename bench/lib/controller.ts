/**
 * The orchestrator's handle on a generator process: one command at a time
 * over IPC, each answered within a deadline or the process is killed.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnNode, stopProcess, tail } from './proc.js';
import { childEnv } from './targets.js';
import type { GeneratorCommand, GeneratorReply, GeneratorSetup, LoadParams, LoadResult, SetupResult } from './types.js';

type ReplyOf<T extends GeneratorReply['type']> = Extract<GeneratorReply, { type: T }>;

export class GeneratorProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly logFile: string | undefined,
  ) {}

  static start(logFile?: string): GeneratorProcess {
    const child = spawnNode(['--import', 'tsx', 'bench/generator/main.ts'], {
      env: childEnv({ NODE_ENV: 'production' }),
      ipc: true,
      ...(logFile ? { logFile } : { inherit: true }),
    });
    return new GeneratorProcess(child, logFile);
  }

  get pid(): number {
    return this.child.pid!;
  }

  prepare(setup: GeneratorSetup, timeoutMs: number): Promise<ReplyOf<'prepared'>> {
    return this.request({ type: 'prepare', setup }, 'prepared', timeoutMs);
  }

  async connect(timeoutMs: number): Promise<SetupResult> {
    return (await this.request({ type: 'connect' }, 'connected', timeoutMs)).result;
  }

  async load(params: LoadParams): Promise<LoadResult> {
    const budget = params.warmupMs + params.durationMs + params.drainMs + 60_000;
    return (await this.request({ type: 'load', params }, 'loaded', budget)).result;
  }

  async quiesce(timeoutMs: number): Promise<number> {
    return (await this.request({ type: 'quiesce', timeoutMs }, 'quiesced', timeoutMs + 10_000)).outstanding;
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) {
      await this.request({ type: 'close' }, 'closed', 15_000).catch(() => undefined);
    }
    await stopProcess(this.child, 5000);
  }

  private request<T extends GeneratorReply['type']>(
    command: GeneratorCommand,
    expected: T,
    timeoutMs: number,
  ): Promise<ReplyOf<T>> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error, reply?: ReplyOf<T>) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (error) reject(error);
        else resolve(reply!);
      };
      const onMessage = (reply: GeneratorReply) => {
        if (reply.type === 'failed') done(new Error(`generator: ${reply.message}`));
        else if (reply.type === expected) done(undefined, reply as ReplyOf<T>);
      };
      const onExit = (code: number | null) => {
        const log = this.logFile ? `\n${tail(this.logFile)}` : '';
        done(new Error(`generator exited (${code}) during ${command.type}${log}`));
      };
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        done(new Error(`generator did not answer ${command.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(command);
    });
  }
}
