import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter } from './rate-limiter.js';
import { Workqueue } from './workqueue.js';

describe('Workqueue', () => {
  test('dedups an item while it is queued', async () => {
    const q = new Workqueue({ clock: new FakeClock() });
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'ns/a');
    assert.equal(await q.get(), 'ns/b');
    assert.equal(q.len(), 0);
    q.shutDown();
  });

  test('an item re-added while processing is queued again only after done', async () => {
    const q = new Workqueue({ clock: new FakeClock() });
    q.add('k');
    const k = await q.get();
    q.add('k');
    q.add('k');
    assert.equal(q.len(), 0, 'not handed to a second worker');
    q.done(k!);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'k');
    q.done('k');
    assert.equal(q.len(), 0);
    q.shutDown();
  });

  test('a waiting get receives the next added item', async () => {
    const q = new Workqueue({ clock: new FakeClock() });
    const p = q.get();
    q.add('x');
    assert.equal(await p, 'x');
    q.add('x');
    assert.equal(q.len(), 0, 'still processing');
    q.done('x');
    assert.equal(q.len(), 1);
    q.shutDown();
  });

  test('addAfter waits on the injected clock and keeps the earliest deadline', async () => {
    const clock = new FakeClock();
    const q = new Workqueue({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 500);
    q.addAfter('a', 2000);
    q.addAfter('b', 0);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'b');
    clock.step(499);
    assert.equal(q.len(), 0);
    clock.step(1);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'a');
    clock.step(5000);
    assert.equal(q.len(), 0, 'the later deadlines were dropped');
    assert.equal(clock.pending(), 0);
    q.shutDown();
  });

  test('addRateLimited backs off exponentially per item until forget', () => {
    const clock = new FakeClock();
    const q = new Workqueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000_000) });
    q.addRateLimited('k');
    q.addRateLimited('k');
    assert.equal(q.numRequeues('k'), 2);
    clock.step(4);
    assert.equal(q.len(), 0);
    clock.step(1);
    assert.equal(q.len(), 1, 'the first (5 ms) delay won');
    q.forget('k');
    assert.equal(q.numRequeues('k'), 0);
    q.shutDown();
  });

  test('shutDown wakes getters, drops delayed items and ignores adds', async () => {
    const clock = new FakeClock();
    const q = new Workqueue({ clock });
    const p = q.get();
    q.addAfter('later', 100);
    q.shutDown();
    assert.equal(await p, undefined);
    assert.equal(clock.pending(), 0);
    q.add('x');
    assert.equal(await q.get(), undefined);
    assert.equal(q.shuttingDown(), true);
  });

  test('shutDownWithDrain resolves when items in flight are done', async () => {
    const q = new Workqueue({ clock: new FakeClock() });
    q.add('a');
    const a = await q.get();
    let drained = false;
    const d = q.shutDownWithDrain().then(() => (drained = true));
    await Promise.resolve();
    assert.equal(drained, false);
    q.done(a!);
    await d;
    assert.equal(drained, true);
  });
});

describe('rate limiters', () => {
  test('item exponential: 5 ms doubling, capped at 1000 s', () => {
    const rl = new ItemExponentialFailureRateLimiter(5, 1000_000);
    const delays = Array.from({ length: 5 }, () => rl.when('x'));
    assert.deepEqual(delays, [5, 10, 20, 40, 80]);
    for (let i = 0; i < 40; i++) rl.when('x');
    assert.equal(rl.when('x'), 1000_000);
    assert.equal(rl.when('other'), 5, 'per item');
    rl.forget('x');
    assert.equal(rl.when('x'), 5);
  });

  test('token bucket: burst, then 1/qps apart, refilling with time', () => {
    const clock = new FakeClock();
    const rl = new BucketRateLimiter(10, 3, clock);
    assert.deepEqual([rl.when('a'), rl.when('b'), rl.when('c')], [0, 0, 0]);
    assert.equal(Math.round(rl.when('d')), 100);
    assert.equal(Math.round(rl.when('e')), 200);
    clock.step(1000);
    assert.equal(rl.when('f'), 0, 'refilled (capped at burst)');
  });

  test('default controller limiter is the max of both', () => {
    const clock = new FakeClock();
    const rl = defaultControllerRateLimiter(clock);
    assert.equal(rl.when('a'), 5);
    assert.equal(rl.when('a'), 10);
    const max = new MaxOfRateLimiter(new ItemExponentialFailureRateLimiter(1, 10), new BucketRateLimiter(1, 1, clock));
    assert.equal(max.when('z'), 1);
    assert.equal(max.when('z'), 1000, 'the bucket is empty: one token per second');
    assert.equal(max.numRequeues('z'), 2);
  });
});
