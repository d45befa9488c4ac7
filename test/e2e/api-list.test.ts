/**
 * LIST semantics at the HTTP level, against kube-apiserver v1.32: chunking (limit/continue) over
 * one consistent snapshot, remainingItemCount, resourceVersion/resourceVersionMatch, label and
 * field selectors with limit, and lists across all namespaces.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiHttp, type ApiHttp } from '../support/api-http.js';
import { startServer, type ServerHandle } from './harness.js';

interface Obj {
  metadata: { name: string; namespace?: string; resourceVersion: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}
interface List {
  kind: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: Obj[];
}
interface Status {
  kind: 'Status';
  code: number;
  reason: string;
  message: string;
}

const cms = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = { v: '1' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data });
const pod = (name: string, nodeName?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'sel' } },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'img:1' }] },
});
const names = (l: List) => l.items.map((i) => i.metadata.name);

describe('LIST semantics', () => {
  let srv: ServerHandle;
  let api: ApiHttp;
  /** Walks every page of a list; returns the pages. */
  const pages = async (path: string, between?: (page: number) => Promise<void>): Promise<List[]> => {
    const out: List[] = [];
    let cont: string | undefined;
    do {
      // Like client-go, later pages carry only the continue token, not the resourceVersion.
      const [base, query = ''] = path.split('?');
      const q = new URLSearchParams(query);
      if (cont) {
        q.delete('resourceVersion');
        q.delete('resourceVersionMatch');
        q.set('continue', cont);
      }
      const l = await api.json<List>('GET', `${base}?${q}`, undefined, 200);
      out.push(l);
      cont = l.metadata.continue;
      if (cont && between) await between(out.length);
      assert.ok(out.length < 100, 'too many pages');
    } while (cont);
    return out;
  };

  before(async () => {
    // The API server alone: no controller or scheduler writes behind the test's back.
    srv = await startServer({ extraArgs: ['--disable-controller-manager', '--disable-scheduler'] });
    api = apiHttp(srv);
    for (const ns of ['list-a', 'list-b']) await api.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, 201);
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => api.json('POST', cms('list-a'), cm(`cm-${String(i).padStart(2, '0')}`, { tier: i % 2 ? 'odd' : 'even', idx: String(i) }), 201)),
    );
    await Promise.all(Array.from({ length: 5 }, (_, i) => api.json('POST', cms('list-b'), cm(`b-${i}`, { tier: i % 2 ? 'odd' : 'even' }), 201)));
  });
  after(async () => {
    api?.close();
    await srv?.stop();
  });

  test('limit and continue walk a consistent snapshot with remainingItemCount', async () => {
    const full = await api.json<List>('GET', cms('list-a'), undefined, 200);
    assert.equal(full.items.length, 25);
    assert.equal(full.metadata.continue, undefined);
    assert.equal(full.metadata.remainingItemCount, undefined);
    const snapshotRv = (await api.json<List>('GET', `${cms('list-a')}?limit=7`, undefined, 200)).metadata.resourceVersion;
    let changedAt = '';
    const walked = await pages(`${cms('list-a')}?limit=7`, async (page) => {
      if (page !== 1) return;
      // Writes between pages: none may show up in the rest of the walk.
      await api.json('POST', cms('list-a'), cm('cm-00a'), 201);
      await api.json('POST', cms('list-a'), cm('cm-99'), 201);
      await api.json('DELETE', `${cms('list-a')}/cm-20`, undefined, 200);
      const upd = await api.json<Obj>('PATCH', `${cms('list-a')}/cm-21`, { data: { v: '2' } }, 200, { contentType: 'application/merge-patch+json' });
      changedAt = upd.metadata.resourceVersion;
    });
    assert.deepEqual(walked.map((p) => p.items.length), [7, 7, 7, 4]);
    assert.deepEqual(walked.map((p) => p.metadata.remainingItemCount), [18, 11, 4, undefined]);
    assert.equal(walked[3].metadata.continue, undefined);
    const rvs = new Set(walked.map((p) => p.metadata.resourceVersion));
    assert.equal(rvs.size, 1, 'every page is read at the first page’s resourceVersion');
    assert.ok(Number(walked[0].metadata.resourceVersion) >= Number(snapshotRv));
    const all = walked.flatMap((p) => p.items);
    assert.deepEqual(all.map((i) => i.metadata.name), full.items.map((i) => i.metadata.name));
    assert.equal(new Set(all.map((i) => i.metadata.name)).size, 25, 'no duplicates');
    assert.deepEqual(all.find((i) => i.metadata.name === 'cm-21')?.data, { v: '1' }, 'the snapshot shows the old state');
    assert.ok(Number(changedAt) > Number(walked[0].metadata.resourceVersion));
    // The live list reflects the writes.
    const now = names(await api.json<List>('GET', cms('list-a'), undefined, 200));
    assert.ok(now.includes('cm-00a') && now.includes('cm-99') && !now.includes('cm-20'));
    // Restore for the other tests.
    await api.json('DELETE', `${cms('list-a')}/cm-00a`, undefined, 200);
    await api.json('DELETE', `${cms('list-a')}/cm-99`, undefined, 200);
    await api.json('POST', cms('list-a'), cm('cm-20', { tier: 'even', idx: '20' }), 201);
  });

  test('a continue token cannot be combined with a resourceVersion', async () => {
    const first = await api.json<List>('GET', `${cms('list-a')}?limit=5`, undefined, 200);
    const r = await api.send('GET', `${cms('list-a')}?limit=5&resourceVersion=${first.metadata.resourceVersion}&continue=${encodeURIComponent(first.metadata.continue!)}`);
    assert.equal(r.code, 400, r.body);
    assert.match((JSON.parse(r.body) as Status).message, /specifying resource version is not allowed when using continue/);
  });

  test('resourceVersion=N&resourceVersionMatch=Exact returns the state at N', async () => {
    const created = await api.json<Obj>('POST', cms('list-b'), cm('exact', {}, { v: 'old' }), 201);
    const rv = created.metadata.resourceVersion;
    await api.json('PUT', `${cms('list-b')}/exact`, { ...cm('exact', {}, { v: 'new' }) }, 200);
    await api.json('POST', cms('list-b'), cm('after-exact'), 201);
    const old = await api.json<List>('GET', `${cms('list-b')}?resourceVersion=${rv}&resourceVersionMatch=Exact`, undefined, 200);
    assert.equal(old.metadata.resourceVersion, rv);
    assert.deepEqual(old.items.find((i) => i.metadata.name === 'exact')?.data, { v: 'old' });
    assert.ok(!names(old).includes('after-exact'));
    // Exact with limit pages at that revision too.
    const paged = await pages(`${cms('list-b')}?resourceVersion=${rv}&resourceVersionMatch=Exact&limit=2`);
    assert.deepEqual(paged.flatMap(names), names(old));
    assert.ok(paged.every((p) => p.metadata.resourceVersion === rv));
    // Legacy exact: limit with resourceVersion and no match.
    const legacy = await api.json<List>('GET', `${cms('list-b')}?resourceVersion=${rv}&limit=100`, undefined, 200);
    assert.equal(legacy.metadata.resourceVersion, rv);
    assert.deepEqual(legacy.items.find((i) => i.metadata.name === 'exact')?.data, { v: 'old' });
    const cur = await api.json<List>('GET', `${cms('list-b')}?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`, undefined, 200);
    assert.ok(Number(cur.metadata.resourceVersion) > Number(rv));
    assert.deepEqual(cur.items.find((i) => i.metadata.name === 'exact')?.data, { v: 'new' });
    assert.ok(names(cur).includes('after-exact'));
    for (const p of ['exact', 'after-exact']) await api.json('DELETE', `${cms('list-b')}/${p}`, undefined, 200);
  });

  test('resourceVersionMatch is validated as upstream does', async () => {
    const bad = async (q: string, msg: RegExp) => {
      const r = await api.send('GET', `${cms('list-b')}?${q}`);
      assert.equal(r.code, 400, `${q}: ${r.body}`);
      assert.match((JSON.parse(r.body) as Status).message, msg);
    };
    await bad('resourceVersionMatch=NotOlderThan', /resourceVersionMatch is forbidden unless resourceVersion is provided/);
    await bad('resourceVersion=0&resourceVersionMatch=Exact', /resourceVersionMatch "exact" is forbidden for resourceVersion "0"/i);
  });

  test('resourceVersion=0 is served from the cache: limit is not honoured', async () => {
    const l = await api.json<List>('GET', `${cms('list-a')}?resourceVersion=0&limit=3`, undefined, 200);
    assert.equal(l.items.length, 25);
    assert.equal(l.metadata.continue, undefined);
  });

  test('label selectors with limit page over the matching objects only', async () => {
    const even = names(await api.json<List>('GET', `${cms('list-a')}?labelSelector=tier%3Deven`, undefined, 200));
    assert.equal(even.length, 13);
    const walked = await pages(`${cms('list-a')}?labelSelector=tier%3Deven&limit=4`);
    assert.deepEqual(walked.flatMap(names), even);
    assert.ok(walked.every((p) => p.items.length <= 4));
    assert.ok(walked.every((p) => p.metadata.remainingItemCount === undefined), 'no remainingItemCount with a selector');
    const set = await pages(`${cms('list-a')}?labelSelector=${encodeURIComponent('idx in (3,7,11),tier!=even')}&limit=1`);
    assert.deepEqual(set.flatMap(names), ['cm-03', 'cm-07', 'cm-11']);
    const none = await api.json<List>('GET', `${cms('list-a')}?labelSelector=tier%3Dnone&limit=2`, undefined, 200);
    assert.deepEqual(none.items, []);
  });

  test('field selectors: metadata.name, and pods by spec.nodeName and status.phase, with limit', async () => {
    const byName = await pages(`${cms('list-a')}?fieldSelector=metadata.name%3Dcm-05&limit=1`);
    assert.deepEqual(byName.flatMap(names), ['cm-05']);
    const notName = await api.json<List>('GET', `${cms('list-a')}?fieldSelector=metadata.name!%3Dcm-05`, undefined, 200);
    assert.equal(notName.items.length, 24);
    const pods = '/api/v1/namespaces/list-a/pods';
    await api.json('POST', pods, pod('p1', 'node-1'), 201);
    await api.json('POST', pods, pod('p2', 'node-2'), 201);
    await api.json('POST', pods, pod('p3'), 201);
    await api.json('POST', pods, pod('p4', 'node-1'), 201);
    const sel = async (q: string) => (await pages(`${pods}?fieldSelector=${encodeURIComponent(q)}&limit=1`)).flatMap(names);
    assert.deepEqual(await sel('spec.nodeName=node-1'), ['p1', 'p4']);
    assert.deepEqual(await sel('spec.nodeName='), ['p3']);
    assert.deepEqual(await sel('spec.nodeName!=node-1'), ['p2', 'p3']);
    assert.deepEqual(await sel('status.phase=Pending'), ['p1', 'p2', 'p3', 'p4']);
    const p2 = await api.json<Obj>('GET', `${pods}/p2`, undefined, 200);
    await api.json('PUT', `${pods}/p2/status`, { ...p2, status: { ...p2.status, phase: 'Running' } }, 200);
    assert.deepEqual(await sel('status.phase=Running'), ['p2']);
    assert.deepEqual(await sel('status.phase!=Running,spec.nodeName=node-1'), ['p1', 'p4']);
    // Field and label selectors combine.
    const both = await api.json<List>('GET', `${pods}?labelSelector=app%3Dsel&fieldSelector=spec.nodeName%3Dnode-2`, undefined, 200);
    assert.deepEqual(names(both), ['p2']);
    const bad = await api.send('GET', `${pods}?fieldSelector=spec.hostname%3Dx`);
    assert.equal(bad.code, 400);
    assert.match((JSON.parse(bad.body) as Status).message, /field label not supported: spec.hostname/);
    await api.send('DELETE', `${pods}?gracePeriodSeconds=0`);
  });

  test('lists across all namespaces, with selectors and chunking', async () => {
    const all = await api.json<List>('GET', '/api/v1/configmaps', undefined, 200);
    assert.equal(all.kind, 'ConfigMapList');
    const ours = all.items.filter((i) => i.metadata.namespace === 'list-a' || i.metadata.namespace === 'list-b');
    assert.equal(ours.length, 30);
    const keys = all.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`);
    assert.deepEqual(keys, [...keys].sort(), 'sorted by namespace, then name');
    const walked = await pages('/api/v1/configmaps?limit=4');
    assert.deepEqual(walked.flatMap((p) => p.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)), keys);
    const odd = await pages('/api/v1/configmaps?labelSelector=tier%3Dodd&limit=3');
    assert.deepEqual(odd.flatMap((p) => p.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).filter((k) => !k.startsWith('kube-')), [
      ...Array.from({ length: 12 }, (_, i) => `list-a/cm-${String(2 * i + 1).padStart(2, '0')}`),
      'list-b/b-1',
      'list-b/b-3',
    ]);
    const byNs = await api.json<List>('GET', '/api/v1/configmaps?fieldSelector=metadata.namespace%3Dlist-b', undefined, 200);
    assert.deepEqual(names(byNs), ['b-0', 'b-1', 'b-2', 'b-3', 'b-4']);
  });
});
