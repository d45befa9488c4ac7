import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteLimiter } from './write-limiter.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WriteLimiter', () => {
  test('bounds writes in flight and serves the high lane first', async () => {
    const l = new WriteLimiter(2);
    const order: string[] = [];
    let running = 0;
    let peak = 0;
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const job = (name: string) => async () => {
      order.push(name);
      running++;
      peak = Math.max(peak, running);
      const g = deferred();
      gates.set(name, g);
      await g.promise;
      running--;
      return name;
    };
    const all = [l.run(job('n1')), l.run(job('n2')), l.run(job('n3')), l.run(job('h1'), 'high')];
    await Promise.resolve();
    assert.deepEqual(order, ['n1', 'n2']);
    assert.equal(l.pending(), 4);
    gates.get('n1')!.resolve();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['n1', 'n2', 'h1'], 'the high lane goes first');
    gates.get('n2')!.resolve();
    await new Promise((r) => setImmediate(r));
    gates.get('h1')!.resolve();
    await new Promise((r) => setImmediate(r));
    gates.get('n3')!.resolve();
    assert.deepEqual(await Promise.all(all), ['n1', 'n2', 'n3', 'h1']);
    assert.equal(peak, 2);
    await l.idle();
    assert.equal(l.pending(), 0);
  });

  test('a failing write frees its slot', async () => {
    const l = new WriteLimiter(1);
    await assert.rejects(l.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await l.run(async () => 7), 7);
  });
});
