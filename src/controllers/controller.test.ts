import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { staleConflict } from '../api/errors.js';
import { FakeClock } from '../client/clock.js';
import { ItemExponentialFailureRateLimiter } from '../client/rate-limiter.js';
import { Controller, type SyncedSource } from './controller.js';

const flush = () => new Promise((r) => setImmediate(r));

/** An informer stand-in that syncs when told to and runs until aborted. */
function fakeSource() {
  let markSynced!: () => void;
  const synced = new Promise<void>((r) => (markSynced = r));
  let started = 0;
  const src: SyncedSource = {
    start: (signal) => {
      started++;
      return new Promise((r) => signal.addEventListener('abort', () => r(), { once: true }));
    },
    waitForSync: async (signal) => {
      await Promise.race([synced, new Promise((r) => signal?.addEventListener('abort', r, { once: true }))]);
      return !signal?.aborted;
    },
  };
  return { src, markSynced, started: () => started };
}

describe('Controller', () => {
  test('waits for sync, reconciles keys, requeues failures with backoff and honours requeueAfter', async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    let failNext = 2;
    const { src, markSynced, started } = fakeSource();
    const c = new Controller({
      name: 'test',
      informers: [src],
      workers: 2,
      clock,
      rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000),
      reconcile: async (key) => {
        seen.push(key);
        if (key === 'ns/flaky' && failNext-- > 0) throw failNext === 1 ? staleConflict({ group: '', resource: 'pods' }, 'flaky') : new Error('boom');
        if (key === 'ns/later' && seen.filter((k) => k === key).length === 1) return { requeueAfterMs: 10_000 };
      },
    });
    const ac = new AbortController();
    const done = c.start(ac.signal);
    c.enqueue({ metadata: { namespace: 'ns', name: 'flaky' } });
    c.enqueue('ns/later');
    await flush();
    assert.deepEqual(seen, [], 'no work before the caches sync');
    assert.equal(started(), 1);

    markSynced();
    await flush();
    assert.deepEqual(seen.sort(), ['ns/flaky', 'ns/later']);
    assert.equal(c.queue.numRequeues('ns/flaky'), 1);
    clock.step(5);
    await flush();
    assert.equal(seen.filter((k) => k === 'ns/flaky').length, 2);
    clock.step(9);
    await flush();
    assert.equal(seen.filter((k) => k === 'ns/flaky').length, 2, 'second retry waits 10 ms');
    clock.step(1);
    await flush();
    assert.equal(seen.filter((k) => k === 'ns/flaky').length, 3);
    assert.equal(c.queue.numRequeues('ns/flaky'), 0, 'forgotten after success');

    clock.step(10_000);
    await flush();
    assert.equal(seen.filter((k) => k === 'ns/later').length, 2);

    ac.abort();
    await done;
    assert.equal(c.queue.shuttingDown(), true);
    assert.equal(clock.pending(), 0);
  });

  test('stops cleanly when aborted before the caches sync', async () => {
    const { src } = fakeSource();
    const c = new Controller({ name: 'x', informers: [src], reconcile: async () => assert.fail('must not run') });
    const ac = new AbortController();
    const done = c.start(ac.signal);
    c.enqueue('a');
    ac.abort();
    await done;
  });
});
