/**
 * The dashboard in Debian's Chromium, driven by playwright-core: log in as a
 * broadcaster, then measure a window of time (long tasks, main-thread busy
 * share) and open conversations the way a broadcaster does (a click on a
 * `.session` row). Every call into the page is bounded: the dashboard under
 * load may not answer at all, and that is a result, not a hang.
 */
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { installProbe, type LongTaskEntry, type OpenResult } from './probe.js';

/** Chromium binary: Debian's by default, overridable with LIVECHAT_TEST_CHROMIUM (as the e2e tests). */
export const CHROMIUM = process.env['LIVECHAT_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

/** Longest wait for one answer from the page (it may be frozen for longer: that is then a failure). */
export const PAGE_TIMEOUT_MS = 30_000;

/** Longest wait for the page after the window: a frozen page's figures are still wanted. */
export const FROZEN_TIMEOUT_MS = 120_000;

export function bounded<T>(what: string, promise: Promise<T>, timeoutMs = PAGE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface WindowMark {
  /** CDP Performance.getMetrics: the renderer main thread's task time and the metric clock, in seconds. */
  taskDuration: number;
  timestamp: number;
}

/** Wall-clock bounds (ms since the epoch) of the window the long tasks are counted in. */
export interface EpochWindow {
  startMs: number;
  endMs: number;
}

export interface BusyFigures {
  percent: number;
  /** The time between the two marks the share is measured over. */
  wallMs: number;
}

export interface LongTaskFigures {
  count: number;
  maxMs: number;
  totalMs: number;
  /** The measured window they started in. */
  windowMs: number;
}

/** The main thread's busy share between two marks. */
export function busyBetween(from: WindowMark, to: WindowMark): BusyFigures {
  const wallS = to.timestamp - from.timestamp;
  return {
    percent: Math.round(((to.taskDuration - from.taskDuration) / wallS) * 1000) / 10,
    wallMs: Math.round(wallS * 1000),
  };
}

export class DashboardPage {
  /** Distinct listener messages of the watched phase received on the page's WebSocket. */
  readonly framesSeen = new Set<string>();
  readonly errors: string[] = [];
  /** The page's performance.timeOrigin (ms since the epoch): long-task times are relative to it. */
  private timeOrigin = NaN;

  private constructor(
    private readonly browser: Browser,
    readonly page: Page,
    private readonly cdp: CDPSession,
  ) {}

  static async open(url: string, watchPhase: number): Promise<DashboardPage> {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'id-ID' });
      // The bench's TypeScript loader names functions through a `__name` helper the page does not have.
      await context.addInitScript({ content: `globalThis.__name ??= (f) => f; (${installProbe.toString()})();` });
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const dashboard = new DashboardPage(browser, page, cdp);
      const pattern = new RegExp(`m${watchPhase}-(\\d+) `, 'g');
      page.on('pageerror', (error) => dashboard.errors.push(error.message));
      page.on('websocket', (ws) =>
        ws.on('framereceived', (frame) => {
          for (const match of String(frame.payload).matchAll(pattern)) dashboard.framesSeen.add(match[1]!);
        }),
      );
      await page.goto(url, { timeout: PAGE_TIMEOUT_MS });
      return dashboard;
    } catch (error) {
      await browser.close();
      throw error;
    }
  }

  /** Logs in through the form; resolves when the socket is open and the first conversation row is shown. */
  async login(username: string, password: string, timeoutMs: number): Promise<number> {
    const { page } = this;
    await page.fill('#username', username, { timeout: PAGE_TIMEOUT_MS });
    await page.fill('#password', password, { timeout: PAGE_TIMEOUT_MS });
    const started = performance.now();
    await page.click('form.login button[type=submit]', { timeout: PAGE_TIMEOUT_MS });
    await page.waitForSelector('.status[data-state=open]', { timeout: timeoutMs });
    await page.waitForSelector('.session', { timeout: timeoutMs });
    const shownMs = Math.round(performance.now() - started);
    this.timeOrigin = await bounded(
      'performance.timeOrigin',
      page.evaluate(() => performance.timeOrigin),
    );
    return shownMs;
  }

  /**
   * The main thread's task time now. The renderer answers between tasks, so a
   * page frozen by its own work is measured when it answers: `timeoutMs` is how
   * long that is waited for.
   */
  async mark(timeoutMs = PAGE_TIMEOUT_MS): Promise<WindowMark> {
    const { metrics } = await bounded('Performance.getMetrics', this.cdp.send('Performance.getMetrics'), timeoutMs);
    const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
    return { taskDuration: metric('TaskDuration'), timestamp: metric('Timestamp') };
  }

  /** Long tasks that started in the window (asked after it: the page may answer late, or never). */
  async longTasks(span: EpochWindow): Promise<LongTaskFigures> {
    const entries = await bounded(
      'long tasks',
      this.page.evaluate(() => window.benchProbe.longTasks),
      FROZEN_TIMEOUT_MS,
    );
    const start = span.startMs - this.timeOrigin;
    const end = span.endMs - this.timeOrigin;
    const inside = entries.filter((e: LongTaskEntry) => e.start >= start && e.start < end);
    const durations = inside.map((e) => e.duration);
    return {
      count: inside.length,
      maxMs: Math.round(Math.max(0, ...durations)),
      totalMs: Math.round(durations.reduce((a, b) => a + b, 0)),
      windowMs: Math.round(span.endMs - span.startMs),
    };
  }

  /** Clicks a conversation row not opened before; resolves with the time until its messages were shown. */
  async openConversation(seedPhase: number, opened: Set<string>): Promise<OpenResult> {
    const { page } = this;
    const candidates = await bounded(
      'conversation rows',
      page.evaluate(() => window.benchProbe.candidates()),
    );
    const name = candidates.find((n) => !opened.has(n)) ?? candidates[0];
    if (name === undefined) throw new Error('no conversation row to open');
    await bounded(
      'arming the probe',
      page.evaluate((phase) => window.benchProbe.arm(phase), seedPhase),
    );
    const row = page.locator('.session').filter({ has: page.locator('.session__name', { hasText: exact(name) }) });
    await row.first().click({ timeout: PAGE_TIMEOUT_MS });
    const result = await bounded(
      `opening ${name}`,
      page.evaluate(() => window.benchProbe.opened!),
    );
    opened.add(result.name);
    return { name: result.name, ms: Math.round(result.ms * 10) / 10 };
  }

  /** How many rows show a message of the phase as their last message now. */
  previewsOf(phase: number): Promise<number> {
    return bounded(
      'previews',
      this.page.evaluate((p) => window.benchProbe.previewsOf(p), phase),
      FROZEN_TIMEOUT_MS,
    );
  }

  async close(): Promise<void> {
    await bounded('closing the browser', this.browser.close(), 15_000).catch(() => undefined);
  }
}

function exact(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}
