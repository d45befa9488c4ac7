import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gone } from '../api/errors.js';
import type { ApiObject } from '../api/object.js';
import type { ObjectList, WatchEvent } from './api-client.js';
import { byNamespace, namespaceIndex } from './cache.js';
import { FakeClock } from './clock.js';
import { Informer } from './informer.js';
import type { ListWatcher } from './list-watch.js';

/** A push-driven async iterable standing in for one watch connection. */
class FakeWatch implements AsyncIterable<WatchEvent> {
  private buf: WatchEvent[] = [];
  private wake?: () => void;
  private closed = false;
  constructor(
    readonly resourceVersion: string,
    signal: AbortSignal,
  ) {
    signal.addEventListener('abort', () => this.close(), { once: true });
  }
  push(ev: WatchEvent): void {
    this.buf.push(ev);
    this.wake?.();
  }
  close(): void {
    this.closed = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    for (;;) {
      while (this.buf.length) yield this.buf.shift()!;
      if (this.closed) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}

/** A fake API: lists return the current objects; watches are handed to the test as they open. */
class FakeSource implements ListWatcher<ApiObject> {
  objects = new Map<string, ApiObject>();
  rv = 10;
  lists = 0;
  watchStartError?: Error;
  private watchWaiters: ((w: FakeWatch) => void)[] = [];
  private openWatches: FakeWatch[] = [];

  async list(): Promise<ObjectList<ApiObject>> {
    this.lists++;
    return { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items: [...this.objects.values()] };
  }
  watch(opts: { resourceVersion: string; signal: AbortSignal }): AsyncIterable<WatchEvent> {
    if (this.watchStartError) {
      const err = this.watchStartError;
      this.watchStartError = undefined;
      // eslint-disable-next-line require-yield
      return (async function* () {
        throw err;
      })();
    }
    const w = new FakeWatch(opts.resourceVersion, opts.signal);
    const waiter = this.watchWaiters.shift();
    if (waiter) waiter(w);
    else this.openWatches.push(w);
    return w;
  }
  nextWatch(): Promise<FakeWatch> {
    const w = this.openWatches.shift();
    return w ? Promise.resolve(w) : new Promise((r) => this.watchWaiters.push(r));
  }
}

const pod = (ns: string, name: string, rv: number, extra: Record<string, unknown> = {}): ApiObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: ns, name, resourceVersion: String(rv) },
  ...extra,
});

/** Lets pending promise continuations run (no time passes). */
const flush = () => new Promise((r) => setImmediate(r));

function recorder() {
  const log: string[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  const push = (s: string) => {
    log.push(s);
    if (waiter && log.length >= waiter.n) waiter.resolve();
  };
  return {
    log,
    handler: {
      onAdd: (o: ApiObject, initial: boolean) => push(`add ${o.metadata.namespace}/${o.metadata.name}${initial ? ' (initial)' : ''}`),
      onUpdate: (a: ApiObject, b: ApiObject) => push(`update ${b.metadata.name} ${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
      onDelete: (o: ApiObject) => push(`delete ${o.metadata.name}`),
    },
    /** Resolves once `n` events in total have been recorded. */
    until: (n: number) => (log.length >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { n, resolve }))),
  };
}

describe('Informer', () => {
  test('initial list, then watch events into the cache and handlers', async () => {
    const src = new FakeSource();
    src.objects.set('a/p1', pod('a', 'p1', 5));
    src.objects.set('b/p2', pod('b', 'p2', 6));
    const inf = new Informer(src, { clock: new FakeClock(), indexers: { [namespaceIndex]: byNamespace } });
    const rec = recorder();
    inf.addEventHandler(rec.handler);
    const ac = new AbortController();
    const done = inf.start(ac.signal);
    assert.equal(await inf.waitForSync(ac.signal), true);
    assert.equal(inf.hasSynced(), true);
    assert.deepEqual(rec.log.sort(), ['add a/p1 (initial)', 'add b/p2 (initial)']);

    const w = await src.nextWatch();
    assert.equal(w.resourceVersion, '10', 'watch resumes from the list resourceVersion');
    w.push({ type: 'ADDED', object: pod('a', 'p3', 11) });
    w.push({ type: 'MODIFIED', object: pod('a', 'p1', 12) });
    w.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '13' } } });
    w.push({ type: 'DELETED', object: pod('b', 'p2', 14) });
    await rec.until(5);
    assert.deepEqual(rec.log.slice(2), ['add a/p3', 'update p1 5->12', 'delete p2']);
    assert.equal(inf.lastSyncResourceVersion(), '14');
    assert.deepEqual(inf.byIndex(namespaceIndex, 'a').map((o) => o.metadata.name).sort(), ['p1', 'p3']);
    assert.equal(inf.byIndex(namespaceIndex, 'b').length, 0);
    assert.equal(inf.get('a/p1')?.metadata.resourceVersion, '12');

    ac.abort();
    await done;
  });

  test('an ERROR 410 event relists at once and diffs the cache', async () => {
    const src = new FakeSource();
    src.objects.set('a/keep', pod('a', 'keep', 1));
    src.objects.set('a/gone', pod('a', 'gone', 2));
    const inf = new Informer(src, { clock: new FakeClock() });
    const rec = recorder();
    inf.addEventHandler(rec.handler);
    const ac = new AbortController();
    const done = inf.start(ac.signal);
    const w1 = await src.nextWatch();

    src.objects.delete('a/gone');
    src.objects.set('a/keep', pod('a', 'keep', 20));
    src.objects.set('a/new', pod('a', 'new', 21));
    src.rv = 21;
    w1.push({ type: 'ERROR', object: gone('too old resource version: 10 (15)').toStatus() as unknown as ApiObject });
    const w2 = await src.nextWatch();
    assert.equal(src.lists, 2);
    assert.equal(w2.resourceVersion, '21');
    assert.deepEqual(rec.log.slice(2).sort(), ['add a/new', 'delete gone', 'update keep 1->20']);
    assert.deepEqual(inf.keys().sort(), ['a/keep', 'a/new']);
    ac.abort();
    await done;
  });

  test('a watch that fails to start with 410 relists; other failures back off and re-watch from the same resourceVersion', async () => {
    const clock = new FakeClock();
    const src = new FakeSource();
    const inf = new Informer(src, { clock, random: () => 0.5 });
    const ac = new AbortController();
    src.watchStartError = gone('too old');
    const done = inf.start(ac.signal);
    const w1 = await src.nextWatch();
    assert.equal(src.lists, 2, 'relisted after 410 without waiting');

    w1.push({ type: 'ADDED', object: pod('x', 'y', 11) });
    src.watchStartError = new Error('connection reset');
    w1.close();
    // The informer backs off (800 ms · 1.5 with random 0.5) before the next watch.
    const next = src.nextWatch();
    await flush();
    assert.equal(clock.pending(), 1);
    clock.step(1199);
    assert.equal(clock.pending(), 1, 'still backing off');
    clock.step(1);
    const w2 = await next;
    assert.equal(w2.resourceVersion, '11');
    assert.equal(src.lists, 2, 'no relist for a broken connection');
    ac.abort();
    await done;
    assert.equal(clock.pending(), 0, 'no timers left behind');
  });

  test('a handler added late receives the cached objects; resync re-delivers updates', async () => {
    const clock = new FakeClock();
    const src = new FakeSource();
    src.objects.set('a/p', pod('a', 'p', 3));
    const inf = new Informer(src, { clock, resyncPeriodMs: 60_000 });
    const ac = new AbortController();
    const done = inf.start(ac.signal);
    assert.equal(inf.start(ac.signal), done, 'start joins a running informer');
    await inf.waitForSync();
    const rec = recorder();
    const remove = inf.addEventHandler(rec.handler);
    assert.deepEqual(rec.log, ['add a/p (initial)']);
    await src.nextWatch();
    await flush();
    clock.step(60_000);
    await flush();
    assert.deepEqual(rec.log, ['add a/p (initial)', 'update p 3->3']);
    remove();
    clock.step(60_000);
    await flush();
    assert.equal(rec.log.length, 2);
    ac.abort();
    await done;
  });

  test('waitForSync resolves false when aborted first', async () => {
    const ac = new AbortController();
    const inf = new Informer(new FakeSource());
    const p = inf.waitForSync(ac.signal);
    ac.abort();
    assert.equal(await p, false);
  });
});
