/** The Pub/Sub liveness probe over a fake transport: every outcome, and shared runs. No Redis. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LivenessProbe, type ProbeTransport } from '../../src/broker/redis/liveness-probe.js';

/** A fake bus: `echo` decides whether a published token comes back. */
function fakeTransport(overrides: Partial<ProbeTransport> = {}) {
  const state = { ready: true, epoch: 1, receivers: 1, echo: true, published: [] as string[] };
  const transport: ProbeTransport = {
    subscriberReady: () => state.ready,
    subscriberEpoch: () => state.epoch,
    publish: async (token) => {
      state.published.push(token);
      if (state.echo) setImmediate(() => probe.received(token));
      return state.receivers;
    },
    ...overrides,
  };
  // The transport's closures use it only once runs start.
  const probe = new LivenessProbe(transport, 50);
  return { state, probe };
}

describe('LivenessProbe', () => {
  // The probe's timeout timer does not hold the process: this one does, while the tests wait on it.
  let keepAlive: NodeJS.Timeout;
  before(() => (keepAlive = setInterval(() => undefined, 1000)));
  after(() => clearInterval(keepAlive));

  test('healthy when the token comes back', async () => {
    const { probe, state } = fakeTransport();
    assert.equal(await probe.run(), 'healthy');
    assert.equal(probe.sent, 1);
    assert.equal(state.published.length, 1);
  });

  test('lost when nothing comes back in time, or nobody listens', async () => {
    const { probe, state } = fakeTransport();
    state.echo = false;
    assert.equal(await probe.run(), 'lost');
    state.echo = true;
    state.receivers = 0;
    assert.equal(await probe.run(), 'lost');
  });

  test('another payload on the probe channel does not count as the token', async () => {
    const { probe, state } = fakeTransport();
    state.echo = false;
    const run = probe.run();
    probe.received('not-the-token');
    assert.equal(await run, 'lost');
  });

  test('not-ready sends nothing; a failed publish is unreachable', async () => {
    const { probe, state } = fakeTransport();
    state.ready = false;
    assert.equal(await probe.run(), 'not-ready');
    assert.equal(probe.sent, 0);
    const failing = fakeTransport({ publish: () => Promise.reject(new Error('down')) });
    assert.equal(await failing.probe.run(), 'unreachable');
  });

  test('a subscriber change during the run makes it stale', async () => {
    const { probe, state } = fakeTransport();
    const run = probe.run();
    state.epoch += 1;
    assert.equal(await run, 'stale');
  });

  test('concurrent callers share one run; a stopped probe is stale', async () => {
    const { probe, state } = fakeTransport();
    const [a, b] = await Promise.all([probe.run(), probe.run()]);
    assert.deepEqual([a, b], ['healthy', 'healthy']);
    assert.equal(state.published.length, 1);
    const running = probe.run();
    probe.stop();
    assert.equal(await running, 'stale');
    assert.equal(await probe.run(), 'stale');
    assert.equal(state.published.length, 2);
  });

  test('cancel() forgets the token in flight', async () => {
    const { probe } = fakeTransport();
    const run = probe.run();
    probe.cancel();
    assert.equal(await run, 'lost');
  });
});
