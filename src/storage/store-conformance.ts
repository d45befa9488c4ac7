/**
 * The one test body every Store backend must pass (the model is apiserver's
 * pkg/storage/testing/store_tests.go). Each test gets a fresh, empty store from the factory;
 * tests assume nothing about absolute revision numbers, only their order.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageError, type Store, type WatchEvent, type WatchHandle } from './store.js';

export interface StoreFixture {
  store: Store;
  cleanup(): Promise<void>;
}

/** Collects a watch's events; `waitFor` resolves when a condition holds, without polling. */
class WatchRecorder {
  readonly events: WatchEvent[] = [];
  error: StorageError | undefined;
  readonly handle: WatchHandle;
  private waiters: Array<() => void> = [];

  constructor(store: Store, prefix: string, from: number) {
    this.handle = store.watch(prefix, from, {
      onEvents: (evs) => {
        assert.ok(this.error === undefined, 'events after a terminal error');
        this.events.push(...evs);
        this.wake();
      },
      onError: (err) => {
        assert.ok(this.error === undefined, 'two terminal errors');
        this.error = err;
        this.wake();
      },
    });
  }

  async waitForEvents(n: number): Promise<WatchEvent[]> {
    while (this.events.length < n) {
      if (this.error) throw this.error;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return this.events;
  }

  async waitForError(): Promise<StorageError> {
    while (!this.error) await new Promise<void>((r) => this.waiters.push(r));
    return this.error;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

async function rejectsWith(p: Promise<unknown>, code: StorageError['code']): Promise<StorageError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StorageError, `expected StorageError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

const summary = (evs: WatchEvent[]) => evs.map((e) => `${e.type} ${e.key} ${e.value}`);

export function runStoreConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance: ${name}`, { timeout: 30_000 }, () => {
    let fx: StoreFixture;
    let s: Store;
    beforeEach(async () => {
      fx = await factory();
      s = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    test('create then get', async () => {
      const before = await s.currentRevision();
      const kv = await s.create('/pods/default/a', '{"a":1}');
      assert.equal(kv.key, '/pods/default/a');
      assert.equal(kv.value, '{"a":1}');
      assert.ok(kv.modRevision > before);
      assert.equal(kv.createRevision, kv.modRevision);
      assert.deepEqual(await s.get('/pods/default/a'), kv);
      assert.equal(await s.get('/pods/default/missing'), undefined);
      assert.equal(await s.currentRevision(), kv.modRevision);
    });

    test('create of a live key fails with KeyExists; a deleted key can be created again', async () => {
      const first = await s.create('/k/x', 'v1');
      const err = await rejectsWith(s.create('/k/x', 'v2'), 'KeyExists');
      assert.equal(err.key, '/k/x');
      assert.equal((await s.get('/k/x'))?.value, 'v1');
      await s.delete('/k/x');
      const again = await s.create('/k/x', 'v3');
      assert.ok(again.createRevision > first.createRevision);
      assert.equal(again.createRevision, again.modRevision);
    });

    test('update if revision matches; Conflict carries the current value', async () => {
      const c = await s.create('/k/u', 'v1');
      const u = await s.update('/k/u', 'v2', c.modRevision);
      assert.equal(u.value, 'v2');
      assert.ok(u.modRevision > c.modRevision);
      assert.equal(u.createRevision, c.createRevision);
      const err = await rejectsWith(s.update('/k/u', 'v3', c.modRevision), 'Conflict');
      assert.deepEqual(err.current, u);
      assert.deepEqual(await s.get('/k/u'), u);
    });

    test('update of a missing or deleted key fails with KeyNotFound', async () => {
      await rejectsWith(s.update('/k/none', 'v', 1), 'KeyNotFound');
      const c = await s.create('/k/gone', 'v');
      await s.delete('/k/gone');
      await rejectsWith(s.update('/k/gone', 'v2', c.modRevision), 'KeyNotFound');
    });

    test('concurrent updates at one revision: exactly one wins', async () => {
      const c = await s.create('/k/race', 'v0');
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => s.update('/k/race', `v${i + 1}`, c.modRevision)));
      const ok = results.filter((r) => r.status === 'fulfilled');
      assert.equal(ok.length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as StorageError).code, 'Conflict');
      }
    });

    test('delete without precondition', async () => {
      const c = await s.create('/k/d', 'last');
      const { prev, revision } = await s.delete('/k/d');
      assert.deepEqual(prev, c);
      assert.ok(revision > c.modRevision);
      assert.equal(await s.currentRevision(), revision);
      assert.equal(await s.get('/k/d'), undefined);
      await rejectsWith(s.delete('/k/d'), 'KeyNotFound');
    });

    test('delete with a revision precondition', async () => {
      const c = await s.create('/k/dp', 'v1');
      const u = await s.update('/k/dp', 'v2', c.modRevision);
      const err = await rejectsWith(s.delete('/k/dp', c.modRevision), 'Conflict');
      assert.deepEqual(err.current, u);
      assert.deepEqual(await s.get('/k/dp'), u);
      const { prev } = await s.delete('/k/dp', u.modRevision);
      assert.deepEqual(prev, u);
      await rejectsWith(s.delete('/k/dp', u.modRevision), 'KeyNotFound');
    });

    test('list selects exactly the prefix directory, in key order', async () => {
      for (const k of ['/a/2', '/ab/1', '/a/1', '/a', '/b/1', '/a/sub/3']) await s.create(k, k);
      const res = await s.list('/a/');
      assert.deepEqual(res.items.map((i) => i.key), ['/a/1', '/a/2', '/a/sub/3']);
      assert.equal(res.more, false);
      assert.equal(res.revision, await s.currentRevision());
      assert.deepEqual((await s.list('/ab/')).items.map((i) => i.value), ['/ab/1']);
      assert.equal((await s.list('/c/')).items.length, 0);
      assert.equal(await s.count('/a/'), 3);
      assert.equal(await s.count('/ab/'), 1);
      assert.equal(await s.count('/'), 6);
      await s.delete('/a/1');
      assert.equal(await s.count('/a/'), 2);
    });

    test('limit and startAfter page through one snapshot', async () => {
      for (let i = 0; i < 7; i++) await s.create(`/p/k${i}`, `v${i}`);
      const p1 = await s.list('/p/', { limit: 3 });
      assert.deepEqual(p1.items.map((i) => i.key), ['/p/k0', '/p/k1', '/p/k2']);
      assert.equal(p1.more, true);
      if (p1.remaining !== undefined) assert.equal(p1.remaining, 4);
      // Changes after the first page must not show in later pages read at its revision.
      await s.create('/p/k9', 'late');
      await s.delete('/p/k4');
      const p2 = await s.list('/p/', { limit: 3, startAfter: '/p/k2', revision: p1.revision });
      assert.deepEqual(p2.items.map((i) => i.key), ['/p/k3', '/p/k4', '/p/k5']);
      assert.equal(p2.revision, p1.revision);
      assert.equal(p2.more, true);
      const p3 = await s.list('/p/', { limit: 3, startAfter: '/p/k5', revision: p1.revision });
      assert.deepEqual(p3.items.map((i) => i.key), ['/p/k6']);
      assert.equal(p3.more, false);
      const now = await s.list('/p/', { startAfter: '/p/k5' });
      assert.deepEqual(now.items.map((i) => i.key), ['/p/k6', '/p/k9']);
    });

    test('list at an older revision sees that snapshot', async () => {
      const a1 = await s.create('/s/a', 'a1');
      const b1 = await s.create('/s/b', 'b1');
      const a2 = await s.update('/s/a', 'a2', a1.modRevision);
      const { revision: bDel } = await s.delete('/s/b');
      await s.create('/s/c', 'c1');
      const at = async (revision: number) =>
        (await s.list('/s/', { revision })).items.map((i) => `${i.key}=${i.value}@${i.modRevision}`);
      assert.deepEqual(await at(a1.modRevision), [`/s/a=a1@${a1.modRevision}`]);
      assert.deepEqual(await at(b1.modRevision), [`/s/a=a1@${a1.modRevision}`, `/s/b=b1@${b1.modRevision}`]);
      assert.deepEqual(await at(a2.modRevision), [`/s/a=a2@${a2.modRevision}`, `/s/b=b1@${b1.modRevision}`]);
      assert.deepEqual(await at(bDel), [`/s/a=a2@${a2.modRevision}`]);
      const res = await s.list('/s/', { revision: b1.modRevision });
      assert.equal(res.revision, b1.modRevision);
      await rejectsWith(s.list('/s/', { revision: (await s.currentRevision()) + 100 }), 'InvalidArgument');
    });

    test('watch replays from a revision, then delivers live events in order', async () => {
      const start = await s.currentRevision();
      const a = await s.create('/w/a', 'a1');
      await s.create('/other/x', 'x');
      await s.create('/wx/y', 'not mine');
      const a2 = await s.update('/w/a', 'a2', a.modRevision);
      const rec = new WatchRecorder(s, '/w/', start);
      const replay = await rec.waitForEvents(2);
      assert.deepEqual(summary(replay), ['create /w/a a1', 'update /w/a a2']);
      const b = await s.create('/w/b', 'b1');
      await s.create('/other/z', 'z');
      await s.delete('/w/a', a2.modRevision);
      await s.create('/w/c', 'c1');
      const all = await rec.waitForEvents(5);
      rec.handle.close();
      assert.deepEqual(summary(all), ['create /w/a a1', 'update /w/a a2', 'create /w/b b1', 'delete /w/a a2', 'create /w/c c1']);
      for (let i = 1; i < all.length; i++) assert.ok(all[i]!.revision > all[i - 1]!.revision);
      const [create, update, , del] = all as [WatchEvent, WatchEvent, WatchEvent, WatchEvent];
      assert.equal(create.prevValue, undefined);
      assert.equal(create.createRevision, a.modRevision);
      assert.equal(update.revision, a2.modRevision);
      assert.equal(update.prevValue, 'a1');
      assert.equal(update.prevRevision, a.modRevision);
      assert.equal(update.createRevision, a.modRevision);
      assert.equal(del.prevValue, 'a2');
      assert.equal(del.prevRevision, a2.modRevision);
      assert.equal(del.createRevision, a.modRevision);
      assert.ok(del.revision > b.modRevision);
    });

    test('watch from a revision delivers only later events', async () => {
      const a = await s.create('/w2/a', '1');
      const b = await s.create('/w2/b', '2');
      const rec = new WatchRecorder(s, '/w2/', a.modRevision);
      const c = await s.create('/w2/c', '3');
      const evs = await rec.waitForEvents(2);
      rec.handle.close();
      assert.deepEqual(evs.map((e) => e.revision), [b.modRevision, c.modRevision]);
    });

    test('a closed watch receives nothing more', async () => {
      const start = await s.currentRevision();
      const rec = new WatchRecorder(s, '/wc/', start);
      await s.create('/wc/a', '1');
      await rec.waitForEvents(1);
      rec.handle.close();
      rec.handle.close();
      await s.create('/wc/b', '2');
      // A second watch observing the later write proves it was published.
      const probe = new WatchRecorder(s, '/wc/', start);
      await probe.waitForEvents(2);
      probe.handle.close();
      assert.equal(rec.events.length, 1);
    });

    test('compaction: too-old list and watch fail with Compacted', async () => {
      const a = await s.create('/c/a', 'a1');
      const keep = await s.create('/c/keep', 'k');
      await s.update('/c/a', 'a2', a.modRevision);
      const mid = await s.create('/c/b', 'b1');
      const later = await s.update('/c/b', 'b2', mid.modRevision);
      await s.compact(mid.modRevision);
      assert.ok((await s.compactedRevision()) >= mid.modRevision - 1);
      const listErr = await rejectsWith(s.list('/c/', { revision: a.modRevision }), 'Compacted');
      assert.equal(listErr.code, 'Compacted');
      const rec = new WatchRecorder(s, '/c/', a.modRevision);
      const werr = await rec.waitForError();
      assert.equal(werr.code, 'Compacted');
      assert.ok((werr.compactedRevision ?? 0) >= mid.modRevision - 1);
      rec.handle.close();
      // The snapshot at the compacted revision and everything newer stay readable.
      const atMid = await s.list('/c/', { revision: mid.modRevision });
      assert.deepEqual(atMid.items.map((i) => `${i.key}=${i.value}`), ['/c/a=a2', '/c/b=b1', '/c/keep=k']);
      assert.deepEqual(await s.get('/c/keep'), keep);
      const fresh = new WatchRecorder(s, '/c/', mid.modRevision);
      const evs = await fresh.waitForEvents(1);
      fresh.handle.close();
      assert.equal(evs[0]!.revision, later.modRevision);
      assert.equal(evs[0]!.prevValue, 'b1');
    });

    test('concurrent creates get unique, increasing revisions', async () => {
      const before = await s.currentRevision();
      const created = await Promise.all(Array.from({ length: 50 }, (_, i) => s.create(`/cc/k${String(i).padStart(2, '0')}`, `${i}`)));
      const revs = created.map((c) => c.modRevision);
      assert.equal(new Set(revs).size, 50);
      assert.ok(revs.every((r) => r > before));
      assert.equal(Math.max(...revs), await s.currentRevision());
      assert.equal(await s.count('/cc/'), 50);
    });

    test('close() ends watches with Unavailable and stops delivery', async () => {
      const rec = new WatchRecorder(s, '/z/', await s.currentRevision());
      await s.create('/z/a', '1');
      await rec.waitForEvents(1);
      await s.close();
      const err = await rec.waitForError();
      assert.equal(err.code, 'Unavailable');
      assert.equal(rec.events.length, 1);
      await s.close();
    });
  });
}
