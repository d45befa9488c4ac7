/**
 * Reads at compacted revisions, as kube-apiserver v1.32 answers them: an Exact LIST gets 410
 * Expired, an expired continue token gets 410 with a token that goes on at the newest revision,
 * and a WATCH from a compacted revision gets an ERROR event carrying a 410 Status.
 *
 * The history is compacted while the server is stopped (the same sqlite file it restarts on), so
 * the test does not depend on the background compaction schedule.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { apiHttp, type ApiHttp } from '../support/api-http.js';
import { startServer, type ServerHandle } from './harness.js';

interface Obj {
  metadata: { name: string; resourceVersion: string };
  data?: Record<string, string>;
}
interface List {
  metadata: { resourceVersion: string; continue?: string };
  items: Obj[];
}
interface Status {
  kind: string;
  code: number;
  reason: string;
  message: string;
  metadata: { continue?: string };
}

const cms = '/api/v1/namespaces/default/configmaps';
const cm = (name: string, v = '1') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v } });

describe('reads at compacted revisions', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-compaction-'));
  let srv: ServerHandle | undefined;
  let api: ApiHttp | undefined;
  let oldRv = '';
  let staleContinue = '';

  before(async () => {
    const first = await startServer({ dataDir });
    const setup = apiHttp(first);
    try {
      for (let i = 0; i < 6; i++) await setup.json('POST', cms, cm(`c-${i}`), 201);
      const page = await setup.json<List>('GET', `${cms}?limit=2`, undefined, 200);
      oldRv = page.metadata.resourceVersion;
      staleContinue = page.metadata.continue!;
      await setup.json('PUT', `${cms}/c-0`, cm('c-0', '2'), 200);
    } finally {
      setup.close();
      assert.equal(await first.stop(), 0);
    }
    const store = new SqliteStore({ path: join(dataDir, 'state.db'), compactIntervalMs: 0 });
    try {
      await store.compact(await store.currentRevision());
    } finally {
      await store.close();
    }
    srv = await startServer({ dataDir });
    api = apiHttp(srv);
  });
  after(async () => {
    api?.close();
    await srv?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('LIST with resourceVersionMatch=Exact at a compacted revision is 410 Expired', async () => {
    const r = await api!.send('GET', `${cms}?resourceVersion=${oldRv}&resourceVersionMatch=Exact`);
    assert.equal(r.code, 410, r.body);
    const s = JSON.parse(r.body) as Status;
    assert.equal(s.kind, 'Status');
    assert.equal(s.reason, 'Expired');
    assert.equal(s.message, 'The resourceVersion for the provided list is too old.');
    // NotOlderThan is still fine: it reads the newest state.
    const l = await api!.json<List>('GET', `${cms}?resourceVersion=${oldRv}&resourceVersionMatch=NotOlderThan`, undefined, 200);
    assert.equal(l.items.find((i) => i.metadata.name === 'c-0')?.data?.v, '2');
  });

  test('an expired continue token is 410 with a token that continues at the newest revision', async () => {
    const r = await api!.send('GET', `${cms}?limit=2&continue=${encodeURIComponent(staleContinue)}`);
    assert.equal(r.code, 410, r.body);
    const s = JSON.parse(r.body) as Status;
    assert.equal(s.reason, 'Expired');
    assert.match(s.message, /^The provided continue parameter is too old to display a consistent list result/);
    assert.ok(s.metadata.continue, 'the Status carries a continue token');
    const names: string[] = [];
    let cont: string | undefined = s.metadata.continue;
    while (cont) {
      const page: List = await api!.json<List>('GET', `${cms}?limit=2&continue=${encodeURIComponent(cont)}`, undefined, 200);
      names.push(...page.items.map((i) => i.metadata.name));
      cont = page.metadata.continue;
    }
    assert.deepEqual(names.filter((n) => n.startsWith('c-')), ['c-2', 'c-3', 'c-4', 'c-5'], 'the rest of the list after the first page');
  });

  test('WATCH from a compacted revision gets an ERROR event with a 410 Status', async () => {
    const w = await api!.watch(`${cms}?watch=1&resourceVersion=${oldRv}`);
    const evs = await w.ended(5000);
    assert.equal(evs.length, 1, JSON.stringify(evs));
    assert.equal(evs[0].type, 'ERROR');
    const s = evs[0].object as unknown as Status;
    assert.equal(s.kind, 'Status');
    assert.equal(s.code, 410);
    assert.equal(s.reason, 'Expired');
    assert.match(s.message, new RegExp(`^too old resource version: ${oldRv} \\(\\d+\\)$`));
  });
});
