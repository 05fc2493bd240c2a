/**
 * `npm run bench -- [flags]`: runs the chosen scenarios against real server
 * processes and the two baselines, and writes the results under
 * bench/results/ (see bench/README.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { provenance } from './lib/machine.js';
import { fdLimit, REPO_ROOT } from './lib/proc.js';
import { renderScenario, rerenderLatest, saveResults } from './lib/report.js';
import { runDashboard } from './lib/dashboard/run.js';
import { runTarget, type TargetRun } from './lib/runner.js';
import { planScenario, SCENARIOS, type Overrides, type ScenarioName, type ScenarioResult } from './lib/scenarios.js';
import { stopAllTargets, TARGETS } from './lib/targets.js';

const USAGE = `Usage: npm run bench -- [options]

  --scenario NAME       seed | single | cluster | capacity | idle | dashboard | show | all (comma-separated; default: single)
  --quick               reduced sizes for development (10 % of the listeners and rates, 5 s phases)
  --targets LIST        override the scenario's targets: ${Object.keys(TARGETS).join(', ')}
  --listeners N         listener connections (default: per scenario)
  --conversations N     dashboard: conversations (listener sessions; default 3000, quick 300)
  --opens N             dashboard: conversations opened during the measured window (default 8, quick 4)
  --broadcasters N      broadcaster connections (default 2, at most 8)
  --rate N              listener messages per second (capacity: the starting rate)
  --reply-rate N        broadcaster replies per second (default: rate / 10)
  --duration S          measured seconds per load phase (capacity: per step)
  --warmup S            warm-up seconds before each measured phase
  --threshold MS        capacity: the p99 limit of a sustainable rate (default 50)
  --capacity-factor F   capacity: rate multiplier between steps (default 1.5)
  --capacity-max N      capacity: highest rate tried (default 60000)
  --source-addresses N  spread client sockets over 127.0.0.1 … 127.0.0.N (default 8)
  --server-log-level L  LIVECHAT_LOG_LEVEL of the live-chat servers (default warn)
  --redis-url URL       Redis for the cluster scenario (default redis://127.0.0.1:6379)
  --postgres-url URL    PostgreSQL admin URL for the cluster scenario (default postgres://postgres@127.0.0.1:5432/test)
  --save / --no-save    update bench/results/latest.{md,json} (default: yes for full runs, no for --quick)
  --keep                keep the scratch folder (server and generator logs)
  --cpu-prof DIR        run the servers with --cpu-prof, writing their profiles into DIR
  --max-minutes M       stop everything after M minutes (default 120)
  --render              run nothing: render latest.md and the README's results again from latest.json
`;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function positive(name: string, raw: string | undefined, integer = true): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    fail(`--${name} must be a positive ${integer ? 'whole ' : ''}number`);
  return n;
}

function loopbackUrl(name: string, raw: string): string {
  let host: string;
  try {
    host = new URL(raw).hostname;
  } catch {
    fail(`--${name} is not a URL`);
  }
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(host))
    fail(`--${name} must point at loopback (traffic stays on this machine)`);
  return raw;
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    scenario: { type: 'string', default: 'single' },
    quick: { type: 'boolean', default: false },
    targets: { type: 'string' },
    listeners: { type: 'string' },
    conversations: { type: 'string' },
    opens: { type: 'string' },
    broadcasters: { type: 'string' },
    rate: { type: 'string' },
    'reply-rate': { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    threshold: { type: 'string' },
    'capacity-factor': { type: 'string' },
    'capacity-max': { type: 'string' },
    'source-addresses': { type: 'string', default: '8' },
    'server-log-level': { type: 'string', default: 'warn' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    save: { type: 'boolean' },
    'no-save': { type: 'boolean' },
    keep: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'max-minutes': { type: 'string', default: '120' },
    render: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (values.render) {
  process.stdout.write(`rendered ${rerenderLatest(join(REPO_ROOT, 'bench/results'))}\n`);
  process.exit(0);
}

const requested = values.scenario === 'all' ? [...SCENARIOS] : values.scenario.split(',').map((s) => s.trim());
for (const name of requested)
  if (!(SCENARIOS as readonly string[]).includes(name)) fail(`unknown scenario "${name}"\n${USAGE}`);
const targets = values.targets?.split(',').map((t) => t.trim());
for (const t of targets ?? [])
  if (!TARGETS[t]) fail(`unknown target "${t}"; known: ${Object.keys(TARGETS).join(', ')}`);
const warmup = values.warmup === undefined ? undefined : Number(values.warmup);
if (warmup !== undefined && !(warmup >= 0)) fail('--warmup must be 0 or more seconds');

const overrides: Overrides = {
  quick: values.quick,
  durationS: positive('duration', values.duration, false),
  warmupS: warmup,
  listeners: positive('conversations', values.conversations) ?? positive('listeners', values.listeners),
  opens: positive('opens', values.opens),
  broadcasters: positive('broadcasters', values.broadcasters),
  rate: positive('rate', values.rate, false),
  replyRate: positive('reply-rate', values['reply-rate'], false),
  targets,
  thresholdMs: positive('threshold', values.threshold, false),
  capacityFactor: positive('capacity-factor', values['capacity-factor'], false),
  capacityMax: positive('capacity-max', values['capacity-max']),
};
if (overrides.capacityFactor !== undefined && overrides.capacityFactor <= 1) fail('--capacity-factor must be above 1');
if ((overrides.broadcasters ?? 2) > 8) fail('--broadcasters: at most 8');
const sourceAddresses = positive('source-addresses', values['source-addresses'])!;
if (sourceAddresses > 254) fail('--source-addresses: at most 254');
const redisUrl = loopbackUrl('redis-url', values['redis-url']);
const postgresUrl = loopbackUrl('postgres-url', values['postgres-url']);
const maxMinutes = positive('max-minutes', values['max-minutes'], false)!;
const save = values['no-save'] ? false : (values.save ?? !values.quick);

const plans = requested.map((name) => planScenario(name as ScenarioName, overrides));
const limit = fdLimit();
for (const plan of plans) {
  // The generator holds every client socket; each server holds its share.
  if (plan.listeners + 1000 > limit) {
    fail(
      `${plan.name}: ${plan.listeners} listeners need more than the ${limit} file descriptors a process may open here (ulimit -Hn)`,
    );
  }
}

const workDir = mkdtempSync(join(tmpdir(), 'livechat-bench-'));
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

let stopping = false;
async function abort(reason: string, code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stderr.write(`bench: ${reason}; stopping every process it started\n`);
    await Promise.race([stopAllTargets(), new Promise((r) => setTimeout(r, 30_000))]);
    if (!values.keep) rmSync(workDir, { recursive: true, force: true });
  }
  process.exit(code);
}
process.on('SIGINT', () => void abort('interrupted', 130));
process.on('SIGTERM', () => void abort('terminated', 143));
setTimeout(() => void abort(`still running after ${maxMinutes} minutes`, 1), maxMinutes * 60_000).unref();

const results: ScenarioResult[] = [];
for (const plan of plans) {
  const started = provenance();
  log(`scenario ${plan.name}: ${plan.description}`);
  const runs: TargetRun[] = [];
  for (const id of plan.targets) {
    const spec = TARGETS[id]!;
    const options = {
      workDir,
      logLevel: values['server-log-level'],
      redisUrl,
      postgresUrl,
      listenerRateLimit: plan.listenerRateLimit,
      extraEnv: plan.serverEnv,
      cpuProfileDir: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
      sourceAddresses,
      log,
    };
    if (plan.dashboard) {
      runs.push(await runDashboard(spec, { ...options, dashboard: plan.dashboard }));
      continue;
    }
    runs.push(
      await runTarget(spec, {
        ...options,
        listeners: plan.listeners,
        broadcasters: plan.broadcasters,
        connectConcurrency: 200,
        sessionConcurrency: 32,
        load: plan.load,
        capacity: plan.capacity,
      }),
    );
  }
  const result: ScenarioResult = {
    scenario: plan.name,
    title: plan.title,
    description: plan.description,
    command,
    quick: values.quick,
    provenance: started,
    plan,
    runs,
    finishedAt: new Date().toISOString(),
  };
  results.push(result);
  process.stdout.write(`\n${renderScenario(result)}\n\n`);
}

const files = saveResults(join(REPO_ROOT, 'bench/results'), `${stamp}-${requested.join('+')}`, results, save);
log(
  `results: ${files.runMd}${files.latestMd ? ` and ${files.latestMd}` : ' (latest.md not updated: quick run or --no-save)'}`,
);
if (values.keep) log(`logs kept in ${workDir}`);
else rmSync(workDir, { recursive: true, force: true });
const failed = results.flatMap((r) => r.runs).filter((r) => r.error);
process.exit(failed.length > 0 ? 1 : 0);
