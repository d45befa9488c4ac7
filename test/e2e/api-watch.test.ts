/**
 * WATCH semantics at the HTTP level, against kube-apiserver v1.32: where a watch starts
 * (resourceVersion set, unset, "0", sendInitialEvents), bookmarks, timeouts, selectors that turn
 * modifications into ADDED/DELETED, single-object watches, and Table watches.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiHttp, type ApiHttp, type WatchEvent } from '../support/api-http.js';
import { startServer, type ServerHandle } from './harness.js';

/** Every namespace holds the cluster CA ConfigMap (root-ca-cert-publisher); these watches look past it. */
const notRootCa = encodeURIComponent('metadata.name!=kube-root-ca.crt');

interface Meta {
  name: string;
  namespace?: string;
  resourceVersion: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Obj {
  kind?: string;
  metadata: Meta;
  data?: Record<string, string>;
}
interface List {
  metadata: { resourceVersion: string };
  items: Obj[];
}

const ns = 'watch-ns';
const cms = `/api/v1/namespaces/${ns}/configmaps`;
const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = { v: '1' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data });
const mergePatch = { contentType: 'application/merge-patch+json' };
const meta = (e: WatchEvent) => (e.object as unknown as Obj).metadata;
const summary = (evs: WatchEvent[]) => evs.map((e) => `${e.type} ${meta(e).name ?? ''}`);

describe('WATCH semantics', () => {
  let srv: ServerHandle;
  let api: ApiHttp;
  before(async () => {
    // The API server alone: no controller or scheduler writes behind the test's back.
    srv = await startServer({ extraArgs: ['--disable-controller-manager', '--disable-scheduler'] });
    api = apiHttp(srv);
    await api.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, 201);
    await api.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watch-other' } }, 201);
  });
  after(async () => {
    api?.close();
    await srv?.stop();
  });

  test('a watch from a resourceVersion delivers only later events, in order', async () => {
    const a = await api.json<Obj>('POST', cms, cm('from-a'), 201);
    await api.json('POST', cms, cm('from-b'), 201);
    const mod = await api.json<Obj>('PATCH', `${cms}/from-a`, { data: { v: '2' } }, 200, mergePatch);
    const del = await api.send('DELETE', `${cms}/from-b`);
    assert.equal(del.code, 200);
    const w = await api.watch(`${cms}?watch=1&resourceVersion=${a.metadata.resourceVersion}`);
    try {
      const evs = await w.until((e) => e.length >= 3);
      assert.deepEqual(summary(evs), ['ADDED from-b', 'MODIFIED from-a', 'DELETED from-b']);
      assert.equal(meta(evs[1]).resourceVersion, mod.metadata.resourceVersion);
      assert.deepEqual((evs[1].object as unknown as Obj).data, { v: '2' });
      const rvs = evs.map((e) => Number(meta(e).resourceVersion));
      assert.deepEqual(rvs, [...rvs].sort((x, y) => x - y));
      assert.ok(rvs[0] > Number(a.metadata.resourceVersion));
      // Then live events.
      await api.json('POST', cms, cm('from-c'), 201);
      assert.deepEqual(summary([await w.next()]), ['ADDED from-c']);
    } finally {
      w.close();
    }
    for (const n of ['from-a', 'from-c']) await api.send('DELETE', `${cms}/${n}`);
  });

  test('resourceVersion unset or "0" starts with synthetic ADDED events for the current state', async () => {
    await api.json('POST', cms, cm('state-1'), 201);
    await api.json('POST', cms, cm('state-2'), 201);
    for (const rv of ['', '&resourceVersion=0']) {
      const w = await api.watch(`${cms}?watch=1${rv}&fieldSelector=${notRootCa}`);
      try {
        const evs = await w.until((e) => e.length >= 2);
        assert.deepEqual(summary(evs), ['ADDED state-1', 'ADDED state-2'], rv);
        await api.json('PATCH', `${cms}/state-1`, { data: { v: rv || 'unset' } }, 200, mergePatch);
        assert.deepEqual(summary([await w.next()]), ['MODIFIED state-1']);
      } finally {
        w.close();
      }
    }
    // sendInitialEvents=false with no resourceVersion starts at the newest revision, without state.
    const w = await api.watch(`${cms}?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    try {
      await api.json('PATCH', `${cms}/state-2`, { data: { v: 'x' } }, 200, mergePatch);
      assert.deepEqual(summary([await w.next()]), ['MODIFIED state-2']);
    } finally {
      w.close();
    }
    for (const n of ['state-1', 'state-2']) await api.send('DELETE', `${cms}/${n}`);
  });

  test('sendInitialEvents: ADDED for each object, then a BOOKMARK marking the end of the initial events', async () => {
    await api.json('POST', cms, cm('init-1'), 201);
    const two = await api.json<Obj>('POST', cms, cm('init-2'), 201);
    const w = await api.watch(`${cms}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=${two.metadata.resourceVersion}&fieldSelector=${notRootCa}`);
    try {
      const evs = await w.until((e) => e.some((x) => x.type === 'BOOKMARK'));
      assert.deepEqual(summary(evs.slice(0, 2)), ['ADDED init-1', 'ADDED init-2']);
      const bm = evs[2];
      assert.equal(evs.length, 3);
      assert.equal(bm.type, 'BOOKMARK');
      assert.deepEqual(meta(bm).annotations, { 'k8s.io/initial-events-end': 'true' });
      assert.equal((bm.object as unknown as Obj).kind, 'ConfigMap');
      assert.ok(Number(meta(bm).resourceVersion) >= Number(two.metadata.resourceVersion));
      await api.json('POST', cms, cm('init-3'), 201);
      assert.deepEqual(summary([await w.next()]), ['ADDED init-3']);
    } finally {
      w.close();
    }
    const rejected = await api.watch(`${cms}?watch=1&resourceVersionMatch=NotOlderThan&resourceVersion=1`).then(
      () => assert.fail('accepted'),
      (e: { code: number; body: string }) => e,
    );
    assert.equal(rejected.code, 422);
    assert.match((JSON.parse(rejected.body) as { message: string }).message, /ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided/);
    const noMatch = await api.watch(`${cms}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true`).then(
      () => assert.fail('accepted'),
      (e: { code: number; body: string }) => e,
    );
    assert.equal(noMatch.code, 422);
    assert.match((JSON.parse(noMatch.body) as { message: string }).message, /sendInitialEvents requires setting resourceVersionMatch to NotOlderThan/);
    for (const n of ['init-1', 'init-2', 'init-3']) await api.send('DELETE', `${cms}/${n}`);
  });

  test('timeoutSeconds ends the stream; with allowWatchBookmarks a BOOKMARK comes before the deadline', async () => {
    const head = await api.json<List>('GET', cms, undefined, 200);
    const started = Date.now();
    const [withBookmarks, plain] = await Promise.all([
      api.watch(`${cms}?watch=1&resourceVersion=${head.metadata.resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=3`),
      api.watch(`${cms}?watch=1&resourceVersion=${head.metadata.resourceVersion}&timeoutSeconds=1`),
    ]);
    const [bmEvents, plainEvents] = await Promise.all([withBookmarks.ended(8000), plain.ended(6000)]);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 2500 && elapsed < 7000, `ended after ${elapsed}ms`);
    assert.deepEqual(plainEvents, []);
    assert.ok(bmEvents.length >= 1, 'a bookmark before the timeout');
    for (const e of bmEvents) {
      assert.equal(e.type, 'BOOKMARK');
      assert.ok(Number(meta(e).resourceVersion) >= Number(head.metadata.resourceVersion));
      assert.equal(meta(e).annotations, undefined);
    }
  });

  test('a label-selector watch turns relabels into DELETED and ADDED', async () => {
    await api.json('POST', cms, cm('sel-other', { app: 'nope' }), 201);
    const w = await api.watch(`${cms}?watch=1&labelSelector=app%3Dw`);
    try {
      await api.json('POST', cms, cm('sel-1', { app: 'w' }), 201);
      assert.deepEqual(summary([await w.next()]), ['ADDED sel-1']);
      await api.json('PATCH', `${cms}/sel-other`, { data: { v: '9' } }, 200, mergePatch);
      const out = await api.json<Obj>('PATCH', `${cms}/sel-1`, { metadata: { labels: { app: 'gone' } } }, 200, mergePatch);
      const left = await w.next();
      assert.equal(left.type, 'DELETED');
      // Upstream sends the last state that matched, at the revision of the change.
      assert.deepEqual(meta(left).labels, { app: 'w' });
      assert.equal(meta(left).resourceVersion, out.metadata.resourceVersion);
      await api.json('PATCH', `${cms}/sel-other`, { metadata: { labels: { app: 'w' } } }, 200, mergePatch);
      assert.deepEqual(summary([await w.next()]), ['ADDED sel-other']);
      await api.json('PATCH', `${cms}/sel-other`, { data: { v: '10' } }, 200, mergePatch);
      assert.deepEqual(summary([await w.next()]), ['MODIFIED sel-other']);
      await api.send('DELETE', `${cms}/sel-1`);
      await api.send('DELETE', `${cms}/sel-other`);
      assert.deepEqual(summary([await w.next()]), ['DELETED sel-other']);
    } finally {
      w.close();
    }
  });

  test('fieldSelector metadata.name and the single-object URL watch one object', async () => {
    await api.json('POST', cms, cm('one'), 201);
    await api.json('POST', cms, cm('two'), 201);
    const [byField, byUrl] = await Promise.all([api.watch(`${cms}?watch=1&fieldSelector=metadata.name%3Done`), api.watch(`${cms}/one?watch=1`)]);
    try {
      for (const w of [byField, byUrl]) assert.deepEqual(summary([await w.next()]), ['ADDED one']);
      await api.json('PATCH', `${cms}/two`, { data: { v: '2' } }, 200, mergePatch);
      await api.json('PATCH', `${cms}/one`, { data: { v: '2' } }, 200, mergePatch);
      await api.send('DELETE', `${cms}/two`);
      await api.send('DELETE', `${cms}/one`);
      for (const w of [byField, byUrl]) assert.deepEqual(summary(await w.until((e) => e.length >= 2)), ['MODIFIED one', 'DELETED one']);
    } finally {
      byField.close();
      byUrl.close();
    }
  });

  test('a namespaced watch sees only its namespace; an all-namespaces watch sees every one', async () => {
    const head = (await api.json<List>('GET', cms, undefined, 200)).metadata.resourceVersion;
    const [mine, all] = await Promise.all([api.watch(`${cms}?watch=1&resourceVersion=${head}`), api.watch(`/api/v1/configmaps?watch=1&resourceVersion=${head}&labelSelector=t%3Dns`)]);
    try {
      await api.json('POST', '/api/v1/namespaces/watch-other/configmaps', cm('elsewhere', { t: 'ns' }), 201);
      await api.json('POST', cms, cm('here', { t: 'ns' }), 201);
      assert.deepEqual(summary([await mine.next()]), ['ADDED here']);
      const evs = await all.until((e) => e.length >= 2);
      assert.deepEqual(evs.map((e) => `${meta(e).namespace}/${meta(e).name}`), ['watch-other/elsewhere', `${ns}/here`]);
    } finally {
      mine.close();
      all.close();
    }
    await api.send('DELETE', `${cms}/here`);
    await api.send('DELETE', '/api/v1/namespaces/watch-other/configmaps/elsewhere');
  });

  test('a Table watch sends columnDefinitions with the first event only', async () => {
    await api.json('POST', cms, cm('tbl-1'), 201);
    const w = await api.watch(`${cms}?watch=1&fieldSelector=${notRootCa}`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    try {
      const first = (await w.next()).object as { kind: string; apiVersion: string; columnDefinitions?: { name: string }[]; rows: { cells: unknown[] }[] };
      assert.equal(first.kind, 'Table');
      assert.equal(first.apiVersion, 'meta.k8s.io/v1');
      assert.deepEqual(first.columnDefinitions?.map((c) => c.name), ['Name', 'Data', 'Age']);
      assert.equal(first.rows[0].cells[0], 'tbl-1');
      await api.json('POST', cms, cm('tbl-2'), 201);
      const next = await w.next();
      assert.equal(next.type, 'ADDED');
      const t = next.object as { kind: string; columnDefinitions?: unknown[] | null; rows: { cells: unknown[]; object?: { metadata: Meta } }[] };
      assert.equal(t.kind, 'Table');
      assert.ok(!t.columnDefinitions || t.columnDefinitions.length === 0, 'no column definitions after the first event');
      assert.equal(t.rows[0].cells[0], 'tbl-2');
      assert.equal(t.rows[0].object?.metadata.name, 'tbl-2', 'includeObject=Metadata by default');
    } finally {
      w.close();
    }
    for (const n of ['tbl-1', 'tbl-2']) await api.send('DELETE', `${cms}/${n}`);
  });
});
