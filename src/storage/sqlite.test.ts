import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore, type MaintenanceResult } from './sqlite.js';
import { runStoreConformance } from './store-conformance.js';

const root = mkdtempSync(join(tmpdir(), 'sqlite-store-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const freshPath = () => join(root, `db-${++seq}.db`);

runStoreConformance('sqlite', async () => {
  const store = new SqliteStore({ path: freshPath() });
  return { store, cleanup: () => store.close() };
});

function fileSize(path: string): number {
  return [path, `${path}-wal`].reduce((sum, p) => sum + (existsSync(p) ? statSync(p).size : 0), 0);
}

describe('SqliteStore', () => {
  test('data and revision survive close and reopen; revisions keep increasing', async () => {
    const path = freshPath();
    const s1 = new SqliteStore({ path });
    const a = await s1.create('/r/a', 'a1');
    const a2 = await s1.update('/r/a', 'a2', a.modRevision);
    await s1.create('/r/b', 'b1');
    const { revision: last } = await s1.delete('/r/b');
    await s1.compact(last);
    await s1.close();

    const s2 = new SqliteStore({ path });
    assert.equal(await s2.currentRevision(), last);
    assert.equal(await s2.compactedRevision(), last);
    assert.deepEqual(await s2.get('/r/a'), a2);
    assert.equal(await s2.get('/r/b'), undefined);
    const c = await s2.create('/r/b', 'b2');
    assert.equal(c.modRevision, last + 1);
    await s2.close();
  });

  test('a second process-level open of the same file is refused', async () => {
    const path = freshPath();
    const s1 = new SqliteStore({ path });
    await s1.create('/x', '1');
    assert.throws(() => new SqliteStore({ path }), /in use by another process/);
    await s1.close();
  });

  test('file size stays bounded while keys are rewritten with compaction', async () => {
    const path = freshPath();
    const s = new SqliteStore({ path, compactIntervalMs: 0, retainRevisions: 500, compactBatchSize: 500 });
    const value = JSON.stringify({ kind: 'Lease', spec: { holderIdentity: 'node-1', pad: 'x'.repeat(600) } });
    const kvs = await Promise.all(Array.from({ length: 5 }, (_, i) => s.create(`/leases/node-${i}`, value)));
    let peak = 0;
    for (let round = 0; round < 4000; round++) {
      for (let i = 0; i < kvs.length; i++) kvs[i] = await s.update(kvs[i]!.key, value, kvs[i]!.modRevision);
      if (round % 200 === 199) {
        await s.maintain();
        peak = Math.max(peak, fileSize(path));
      }
    }
    const rows = await s.list('/leases/');
    assert.equal(rows.items.length, 5);
    assert.ok((await s.compactedRevision()) >= (await s.currentRevision()) - 1000);
    // Uncompacted, 20,000 rewrites of ~700-byte values (stored with their old values) take
    // ~28 MB; compacted, the file holds about the retained history (~1 MB at most).
    assert.ok(peak < 2 * 1024 * 1024, `peak db+wal size ${peak}`);
    await s.close();
  });

  test('compaction removes superseded rows and delete markers, keeping reads at or after it', async () => {
    const s = new SqliteStore({ path: freshPath(), compactIntervalMs: 0, retainRevisions: 1 });
    const a1 = await s.create('/k/a', 'a1'); // 1
    const a2 = await s.update('/k/a', 'a2', a1.modRevision); // 2
    await s.create('/k/b', 'b1'); // 3
    await s.delete('/k/b'); // 4
    await s.create('/k/c', 'c1'); // 5
    const { revision: cDel } = await s.delete('/k/c'); // 6
    const c2 = await s.create('/k/c', 'c2'); // 7
    assert.equal(c2.modRevision, 7);
    const pass = await s.maintain();
    assert.equal(pass.compactedRevision, cDel);
    // Rows 1 (superseded by 2), 3 and 4 (b deleted), 5 and 6 (c deleted) are gone.
    assert.equal(pass.deletedRows, 5);
    assert.deepEqual((await s.list('/k/', { revision: cDel })).items, [a2]);
    assert.deepEqual((await s.list('/k/')).items, [a2, c2]);
    const events = await new Promise<string[]>((resolve) => {
      const h = s.watch('/k/', cDel, {
        onEvents: (evs) => {
          h.close();
          resolve(evs.map((e) => `${e.type} ${e.key} ${e.value}`));
        },
        onError: () => undefined,
      });
    });
    assert.deepEqual(events, ['create /k/c c2']);
    // Delete and re-create after the markers are compacted: the optimistic-lock index still holds.
    const { revision } = await s.delete('/k/c', c2.modRevision);
    await s.compact(revision);
    const c3 = await s.create('/k/c', 'c3');
    assert.equal((await s.update('/k/c', 'c4', c3.modRevision)).value, 'c4');
    await s.close();
  });

  test('the background loop compacts on its own and stops on close', async () => {
    let firstPass!: (r: MaintenanceResult) => void;
    const passed = new Promise<MaintenanceResult>((r) => (firstPass = r));
    const s = new SqliteStore({
      path: freshPath(),
      compactIntervalMs: 1,
      retainRevisions: 10,
      onMaintenance: (r) => {
        if (r.compactedRevision > 0) firstPass(r);
      },
    });
    let kv = await s.create('/bg/k', '0');
    for (let i = 0; i < 50; i++) kv = await s.update('/bg/k', String(i), kv.modRevision);
    const result = await passed;
    assert.equal(result.compactedRevision, 41);
    assert.equal(await s.compactedRevision(), 41);
    assert.equal((await s.get('/bg/k'))?.value, '49');
    await s.close();
  });
});
