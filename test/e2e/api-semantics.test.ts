/**
 * Write semantics at the HTTP level, against kube-apiserver v1.32: names, optimistic concurrency,
 * no-op updates, metadata.generation, the status and scale subresources, dry-run, field
 * validation, deletion (preconditions, propagation, finalizers, graceful pod deletion,
 * deletecollection), and one object served in several API versions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiHttp, type ApiHttp } from '../support/api-http.js';
import { startServer, type ServerHandle } from './harness.js';

interface Meta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  creationTimestamp?: string;
}
interface Obj {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}
interface Status {
  kind: 'Status';
  status: string;
  code: number;
  reason: string;
  message: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string };
}

const ns = 'writes';
const cms = `/api/v1/namespaces/${ns}/configmaps`;
const deps = `/apis/apps/v1/namespaces/${ns}/deployments`;
const pods = `/api/v1/namespaces/${ns}/pods`;
const merge = { contentType: 'application/merge-patch+json' };
const cm = (name: string, extra: Partial<Meta> = {}, data: Record<string, string> = { v: '1' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data });
const deployment = (name: string, replicas = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'img:1' }] } } },
});
const pod = (name: string, nodeName?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'img:1' }] },
});

describe('write semantics', () => {
  let srv: ServerHandle;
  let api: ApiHttp;
  const status = async (method: string, path: string, body: unknown, code: number, opts?: Parameters<ApiHttp['send']>[3]): Promise<Status> => {
    const r = await api.send(method, path, body, opts);
    assert.equal(r.code, code, `${method} ${path}: ${r.body}`);
    return JSON.parse(r.body) as Status;
  };
  before(async () => {
    // The API server alone: no controller or scheduler writes behind the test's back.
    srv = await startServer({ extraArgs: ['--disable-controller-manager', '--disable-scheduler'] });
    api = apiHttp(srv);
    await api.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, 201);
  });
  after(async () => {
    api?.close();
    await srv?.stop();
  });

  test('generateName picks a unique name with a 5-character suffix', async () => {
    const made = await Promise.all(Array.from({ length: 5 }, () => api.json<Obj>('POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } }, 201)));
    for (const o of made) {
      assert.match(o.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal((o.metadata as { generateName?: string }).generateName, 'gen-');
    }
    assert.equal(new Set(made.map((o) => o.metadata.name)).size, 5);
    const missing = await status('POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }, 422);
    assert.match(missing.message, /metadata.name: Required value: name or generateName is required/);
  });

  test('optimistic concurrency: stale resourceVersion is 409, none is unconditional, no-op keeps the resourceVersion', async () => {
    const v1 = await api.json<Obj>('POST', cms, cm('occ'), 201);
    const v2 = await api.json<Obj>('PUT', `${cms}/occ`, { ...cm('occ', {}, { v: '2' }), metadata: { name: 'occ', resourceVersion: v1.metadata.resourceVersion } }, 200);
    assert.ok(Number(v2.metadata.resourceVersion) > Number(v1.metadata.resourceVersion));
    const stale = await status('PUT', `${cms}/occ`, { ...cm('occ', {}, { v: '3' }), metadata: { name: 'occ', resourceVersion: v1.metadata.resourceVersion } }, 409);
    assert.equal(stale.reason, 'Conflict');
    assert.equal(stale.message, 'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again');
    assert.deepEqual(stale.details, { name: 'occ', kind: 'configmaps' });
    const stalePatch = await status('PATCH', `${cms}/occ`, { metadata: { resourceVersion: v1.metadata.resourceVersion }, data: { v: '3' } }, 409, merge);
    assert.equal(stalePatch.reason, 'Conflict');
    const v3 = await api.json<Obj>('PUT', `${cms}/occ`, cm('occ', {}, { v: '3' }), 200);
    assert.equal(v3.data?.v, '3');
    assert.equal(v3.metadata.uid, v1.metadata.uid);
    assert.equal(v3.metadata.creationTimestamp, v1.metadata.creationTimestamp);
    // No-op writes do not bump the resourceVersion.
    const same = await api.json<Obj>('PUT', `${cms}/occ`, { ...v3 }, 200);
    assert.equal(same.metadata.resourceVersion, v3.metadata.resourceVersion);
    const samePatch = await api.json<Obj>('PATCH', `${cms}/occ`, { data: { v: '3' } }, 200, merge);
    assert.equal(samePatch.metadata.resourceVersion, v3.metadata.resourceVersion);
    const gone = await status('PUT', `${cms}/missing`, cm('missing'), 404);
    assert.equal(gone.message, 'configmaps "missing" not found');
  });

  test('metadata.generation tracks spec changes only', async () => {
    const d = await api.json<Obj>('POST', deps, deployment('gen'), 201);
    assert.equal(d.metadata.generation, 1);
    const spec = await api.json<Obj>('PATCH', `${deps}/gen`, { spec: { replicas: 2 } }, 200, merge);
    assert.equal(spec.metadata.generation, 2);
    const labels = await api.json<Obj>('PATCH', `${deps}/gen`, { metadata: { labels: { extra: 'x' }, annotations: { a: 'b' } } }, 200, merge);
    assert.equal(labels.metadata.generation, 2);
    assert.notEqual(labels.metadata.resourceVersion, spec.metadata.resourceVersion);
    const st = await api.json<Obj>('PATCH', `${deps}/gen/status`, { status: { observedGeneration: 2, replicas: 2 } }, 200, merge);
    assert.equal(st.metadata.generation, 2);
    assert.equal(st.status?.replicas, 2);
    const tmpl = await api.json<Obj>('PATCH', `${deps}/gen`, { spec: { template: { spec: { containers: [{ name: 'c', image: 'img:2' }] } } } }, 200, { contentType: 'application/strategic-merge-patch+json' });
    assert.equal(tmpl.metadata.generation, 3);
  });

  test('/status changes only status; the main resource ignores status', async () => {
    const d = await api.json<Obj>('POST', deps, deployment('stat'), 201);
    const put = await api.json<Obj>(
      'PUT',
      `${deps}/stat/status`,
      { ...d, metadata: { ...d.metadata, labels: { changed: 'yes' } }, spec: { ...d.spec, replicas: 7 }, status: { replicas: 1, readyReplicas: 1 } },
      200,
    );
    assert.equal(put.spec?.replicas, 1, 'spec unchanged through /status');
    assert.deepEqual(put.metadata.labels, { app: 'stat' }, 'labels unchanged through /status');
    assert.equal(put.status?.readyReplicas, 1);
    const patched = await api.json<Obj>('PATCH', `${deps}/stat/status`, { spec: { replicas: 9 }, status: { availableReplicas: 1 } }, 200, merge);
    assert.equal(patched.spec?.replicas, 1);
    assert.equal(patched.status?.availableReplicas, 1);
    const main = await api.json<Obj>('PATCH', `${deps}/stat`, { spec: { replicas: 3 }, status: { readyReplicas: 42 } }, 200, merge);
    assert.equal(main.spec?.replicas, 3);
    assert.equal(main.status?.readyReplicas, 1, 'status unchanged through the main resource');
    const stale = await status('PUT', `${deps}/stat/status`, { ...d, status: { replicas: 5 } }, 409);
    assert.equal(stale.message, 'Operation cannot be fulfilled on deployments.apps "stat": the object has been modified; please apply your changes to the latest version and try again');
  });

  test('/scale reads and writes spec.replicas as an autoscaling/v1 Scale', async () => {
    const d = await api.json<Obj>('POST', deps, deployment('scl', 2), 201);
    const scale = await api.json<Obj>('GET', `${deps}/scl/scale`, undefined, 200);
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    assert.equal(scale.kind, 'Scale');
    assert.deepEqual(scale.spec, { replicas: 2 });
    assert.deepEqual(scale.status, { replicas: 0, selector: 'app=scl' });
    assert.equal(scale.metadata.resourceVersion, d.metadata.resourceVersion);
    assert.equal(scale.metadata.uid, d.metadata.uid);
    const put = await api.json<Obj>('PUT', `${deps}/scl/scale`, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'scl', namespace: ns }, spec: { replicas: 5 } }, 200);
    assert.deepEqual(put.spec, { replicas: 5 });
    const after = await api.json<Obj>('GET', `${deps}/scl`, undefined, 200);
    assert.equal(after.spec?.replicas, 5);
    assert.equal(after.metadata.generation, 2);
    assert.equal(after.metadata.resourceVersion, put.metadata.resourceVersion);
    const patched = await api.json<Obj>('PATCH', `${deps}/scl/scale`, { spec: { replicas: 1 } }, 200, merge);
    assert.deepEqual(patched.spec, { replicas: 1 });
    const stale = await status('PUT', `${deps}/scl/scale`, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'scl', resourceVersion: d.metadata.resourceVersion }, spec: { replicas: 4 } }, 409);
    assert.equal(stale.reason, 'Conflict');
    const negative = await status('PATCH', `${deps}/scl/scale`, { spec: { replicas: -1 } }, 422, merge);
    assert.match(negative.message, /spec.replicas: Invalid value: -1: must be greater than or equal to 0/);
    const none = await status('GET', `${cms}/whatever/scale`, undefined, 404);
    assert.equal(none.reason, 'NotFound');
  });

  test('dryRun=All on create, update, patch and delete stores nothing', async () => {
    const dry = await api.json<Obj>('POST', `${cms}?dryRun=All`, cm('dry'), 201);
    assert.equal(dry.metadata.name, 'dry');
    assert.ok(dry.metadata.uid && dry.metadata.creationTimestamp);
    assert.equal((await api.send('GET', `${cms}/dry`)).code, 404);
    const real = await api.json<Obj>('POST', cms, cm('dry'), 201);
    const upd = await api.json<Obj>('PUT', `${cms}/dry?dryRun=All`, cm('dry', {}, { v: 'dry-put' }), 200);
    assert.equal(upd.data?.v, 'dry-put');
    const pat = await api.json<Obj>('PATCH', `${cms}/dry?dryRun=All`, { data: { v: 'dry-patch' } }, 200, merge);
    assert.equal(pat.data?.v, 'dry-patch');
    const del = await api.send('DELETE', `${cms}/dry?dryRun=All`);
    assert.equal(del.code, 200, del.body);
    const still = await api.json<Obj>('GET', `${cms}/dry`, undefined, 200);
    assert.deepEqual(still.data, { v: '1' });
    assert.equal(still.metadata.resourceVersion, real.metadata.resourceVersion);
    const delColl = await api.send('DELETE', `${cms}?dryRun=All`);
    assert.equal(delColl.code, 200);
    assert.equal((await api.send('GET', `${cms}/dry`)).code, 200);
  });

  test('fieldValidation: Strict rejects, Warn warns, Ignore drops unknown and duplicate fields', async () => {
    const body = (name: string) => ({ ...cm(name), bogus: 1, metadata: { name, nope: 'x' } });
    const strict = await status('POST', `${cms}?fieldValidation=Strict`, body('fv-strict'), 400);
    assert.equal(strict.reason, 'BadRequest');
    assert.match(strict.message, /^ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: /);
    assert.match(strict.message, /unknown field "bogus"/);
    assert.match(strict.message, /unknown field "metadata.nope"/);
    const warn = await api.send('POST', `${cms}?fieldValidation=Warn`, body('fv-warn'));
    assert.equal(warn.code, 201, warn.body);
    const warning = String(warn.headers.warning);
    assert.match(warning, /299 - "unknown field \\"bogus\\""/);
    assert.match(warning, /299 - "unknown field \\"metadata.nope\\""/);
    assert.ok(!('bogus' in (JSON.parse(warn.body) as Obj)), 'unknown fields are dropped');
    const ignore = await api.send('POST', `${cms}?fieldValidation=Ignore`, body('fv-ignore'));
    assert.equal(ignore.code, 201);
    assert.equal(ignore.headers.warning, undefined);
    const dflt = await api.send('POST', cms, body('fv-default'));
    assert.equal(dflt.code, 201);
    assert.match(String(dflt.headers.warning), /unknown field \\"bogus\\"/, 'the server default is Warn');
    const dup = await status('POST', `${cms}?fieldValidation=Strict`, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv-dup"},"data":{"a":"1"},"data":{"b":"2"}}', 400);
    assert.match(dup.message, /strict decoding error: duplicate field "data"/);
    const patchStrict = await status('PATCH', `${cms}/fv-warn?fieldValidation=Strict`, { bogus2: 1 }, 400, merge);
    assert.match(patchStrict.message, /unknown field "bogus2"/);
    const bad = await status('POST', `${cms}?fieldValidation=Loud`, body('fv-bad'), 400);
    assert.match(bad.message, /fieldValidation/);
  });

  test('delete preconditions on uid and resourceVersion', async () => {
    const o = await api.json<Obj>('POST', cms, cm('pre'), 201);
    const uid = await status('DELETE', `${cms}/pre`, { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: 'other' } }, 409);
    assert.equal(uid.message, `Operation cannot be fulfilled on configmaps "pre": Precondition failed: UID in precondition: other, UID in object meta: ${o.metadata.uid}`);
    const rv = await status('DELETE', `${cms}/pre`, { preconditions: { resourceVersion: '1' } }, 409);
    assert.equal(rv.message, `Operation cannot be fulfilled on configmaps "pre": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${o.metadata.resourceVersion}`);
    const ok = await status('DELETE', `${cms}/pre`, { preconditions: { uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion } }, 200);
    assert.equal(ok.status, 'Success');
    assert.deepEqual(ok.details, { name: 'pre', kind: 'configmaps', uid: o.metadata.uid });
    assert.equal((await api.send('GET', `${cms}/pre`)).code, 404);
  });

  test('finalizers hold a deleted object until removed; Orphan and Foreground add theirs', async () => {
    await api.json('POST', cms, cm('held', { finalizers: ['example.com/hold'] }), 201);
    const del = await api.json<Obj>('DELETE', `${cms}/held`, undefined, 200);
    assert.equal(del.kind, 'ConfigMap', 'a pending deletion returns the object');
    assert.ok(del.metadata.deletionTimestamp);
    assert.equal(del.metadata.deletionGracePeriodSeconds, 0);
    const held = await api.json<Obj>('GET', `${cms}/held`, undefined, 200);
    assert.equal(held.metadata.deletionTimestamp, del.metadata.deletionTimestamp);
    // A second delete changes nothing.
    const again = await api.json<Obj>('DELETE', `${cms}/held`, undefined, 200);
    assert.equal(again.metadata.resourceVersion, held.metadata.resourceVersion);
    const add = await status('PATCH', `${cms}/held`, { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } }, 422, merge);
    assert.match(add.message, /metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted/);
    await api.json('PATCH', `${cms}/held`, { metadata: { finalizers: null } }, 200, merge);
    assert.equal((await api.send('GET', `${cms}/held`)).code, 404);

    for (const [policy, finalizer] of [
      ['Orphan', 'orphan'],
      ['Foreground', 'foregroundDeletion'],
    ]) {
      const name = `prop-${policy.toLowerCase()}`;
      await api.json('POST', deps, deployment(name), 201);
      const d = await api.json<Obj>('DELETE', `${deps}/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: policy }, 200);
      assert.deepEqual(d.metadata.finalizers, [finalizer], policy);
      assert.ok(d.metadata.deletionTimestamp);
      assert.equal(d.metadata.generation, 2, 'setting deletionTimestamp bumps the generation');
      await api.json('PATCH', `${deps}/${name}`, { metadata: { finalizers: null } }, 200, merge);
      assert.equal((await api.send('GET', `${deps}/${name}`)).code, 404);
    }
    const viaQuery = await api.json<Obj>('POST', cms, cm('prop-query'), 201);
    const d = await api.json<Obj>('DELETE', `${cms}/prop-query?propagationPolicy=Orphan`, undefined, 200);
    assert.deepEqual(d.metadata.finalizers, ['orphan']);
    assert.equal(d.metadata.uid, viaQuery.metadata.uid);
    await api.json('PATCH', `${cms}/prop-query`, { metadata: { finalizers: null } }, 200, merge);
  });

  test('deletecollection with a label selector deletes only the selected objects', async () => {
    for (let i = 0; i < 4; i++) await api.json('POST', cms, cm(`dc-${i}`, { labels: { batch: i % 2 ? 'odd' : 'even' } }), 201);
    const r = await api.json<{ kind: string; items: Obj[] }>('DELETE', `${cms}?labelSelector=batch%3Deven`, undefined, 200);
    assert.equal(r.kind, 'ConfigMapList');
    assert.deepEqual(r.items.map((i) => i.metadata.name), ['dc-0', 'dc-2']);
    const left = await api.json<{ items: Obj[] }>('GET', `${cms}?labelSelector=batch`, undefined, 200);
    assert.deepEqual(left.items.map((i) => i.metadata.name), ['dc-1', 'dc-3']);
  });

  test('a pod bound to a node is deleted gracefully; an unbound one at once', async () => {
    await api.json('POST', pods, pod('bound', 'node-1'), 201);
    await api.json('POST', pods, pod('unbound'), 201);
    const graceful = await api.json<Obj>('DELETE', `${pods}/bound`, undefined, 200);
    assert.equal(graceful.kind, 'Pod');
    assert.equal(graceful.metadata.deletionGracePeriodSeconds, 30);
    assert.ok(graceful.metadata.deletionTimestamp);
    const left = Date.parse(graceful.metadata.deletionTimestamp!) - Date.now();
    assert.ok(left > 20_000 && left <= 31_000, `deletionTimestamp is now + grace (${left}ms)`);
    assert.equal((await api.send('GET', `${pods}/bound`)).code, 200);
    const shorter = await api.json<Obj>('DELETE', `${pods}/bound`, { gracePeriodSeconds: 5 }, 200);
    assert.equal(shorter.metadata.deletionGracePeriodSeconds, 5);
    await api.json('DELETE', `${pods}/bound?gracePeriodSeconds=0`, undefined, 200);
    assert.equal((await api.send('GET', `${pods}/bound`)).code, 404);
    const now = await api.json<Obj>('DELETE', `${pods}/unbound`, undefined, 200);
    assert.equal(now.kind, 'Pod', 'a deleted pod comes back as the object');
    assert.equal((await api.send('GET', `${pods}/unbound`)).code, 404);
  });

  test('autoscaling/v2 and autoscaling/v1 HorizontalPodAutoscalers are one object', async () => {
    const v2 = await api.json<Obj>(
      'POST',
      `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`,
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'hpa' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 1,
          maxReplicas: 5,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
        },
      },
      201,
    );
    const v1 = await api.json<Obj>('GET', `/apis/autoscaling/v1/namespaces/${ns}/horizontalpodautoscalers/hpa`, undefined, 200);
    assert.equal(v1.apiVersion, 'autoscaling/v1');
    assert.equal(v1.metadata.uid, v2.metadata.uid);
    assert.equal(v1.metadata.resourceVersion, v2.metadata.resourceVersion);
    assert.deepEqual(v1.spec, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 });
    const list = await api.json<{ items: Obj[] }>('GET', `/apis/autoscaling/v1/namespaces/${ns}/horizontalpodautoscalers`, undefined, 200);
    assert.deepEqual(list.items.map((i) => [i.apiVersion ?? 'autoscaling/v1', i.metadata.name]), [['autoscaling/v1', 'hpa']]);
    await api.json('PATCH', `/apis/autoscaling/v1/namespaces/${ns}/horizontalpodautoscalers/hpa`, { spec: { targetCPUUtilizationPercentage: 80 } }, 200, merge);
    const back = await api.json<Obj>('GET', `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/hpa`, undefined, 200);
    const metrics = (back.spec as { metrics: { resource: { target: { averageUtilization: number } } }[] }).metrics;
    assert.equal(metrics[0].resource.target.averageUtilization, 80);
    // Created as v1: defaulted and validated as the storage version, readable as v2.
    const madeV1 = await api.json<Obj>(
      'POST',
      `/apis/autoscaling/v1/namespaces/${ns}/horizontalpodautoscalers`,
      { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'hpa-v1' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 3 } },
      201,
    );
    // The stored v2 object is defaulted (CPU at 80%), which v1 shows as targetCPUUtilizationPercentage.
    assert.deepEqual(madeV1.spec, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 80 });
    const asV2 = await api.json<Obj>('GET', `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/hpa-v1`, undefined, 200);
    assert.equal(asV2.spec?.minReplicas, 1);
    const bad = await status('POST', `/apis/autoscaling/v1/namespaces/${ns}/horizontalpodautoscalers`, { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'hpa-bad' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 0 } }, 422);
    assert.match(bad.message, /spec.maxReplicas: Invalid value: 0: must be greater than 0/);
  });

  test('core/v1 and events.k8s.io/v1 Events are one object', async () => {
    const core = await api.json<Obj>(
      'POST',
      `/api/v1/namespaces/${ns}/events`,
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'ev1' },
        involvedObject: { kind: 'Pod', namespace: ns, name: 'p', apiVersion: 'v1' },
        reason: 'Started',
        message: 'Started container',
        type: 'Normal',
        source: { component: 'kubelet', host: 'node-1' },
        firstTimestamp: '2024-01-01T00:00:00Z',
        lastTimestamp: '2024-01-01T00:00:05Z',
        count: 2,
      },
      201,
    );
    const ev = await api.json<Obj>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events/ev1`, undefined, 200);
    assert.equal(ev.apiVersion, 'events.k8s.io/v1');
    assert.equal(ev.metadata.uid, core.metadata.uid);
    assert.deepEqual(ev.regarding, { kind: 'Pod', namespace: ns, name: 'p', apiVersion: 'v1' });
    assert.equal(ev.note, 'Started container');
    assert.equal(ev.reason, 'Started');
    assert.equal(ev.deprecatedCount, 2);
    assert.deepEqual(ev.deprecatedSource, { component: 'kubelet', host: 'node-1' });
    const created = await api.json<Obj>(
      'POST',
      `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
      {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'ev2' },
        eventTime: '2024-01-01T00:00:00.000000Z',
        reportingController: 'example.com/ctl',
        reportingInstance: 'ctl-1',
        action: 'Scale',
        reason: 'Scaled',
        note: 'scaled up',
        type: 'Normal',
        regarding: { kind: 'Deployment', namespace: ns, name: 'web', apiVersion: 'apps/v1' },
      },
      201,
    );
    const asCore = await api.json<Obj>('GET', `/api/v1/namespaces/${ns}/events/ev2`, undefined, 200);
    assert.equal(asCore.metadata.uid, created.metadata.uid);
    assert.equal(asCore.message, 'scaled up');
    assert.equal(asCore.reportingComponent, 'example.com/ctl');
    assert.deepEqual(asCore.involvedObject, { kind: 'Deployment', namespace: ns, name: 'web', apiVersion: 'apps/v1' });
    const coreList = await api.json<{ items: Obj[] }>('GET', `/api/v1/namespaces/${ns}/events`, undefined, 200);
    const evList = await api.json<{ items: Obj[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`, undefined, 200);
    assert.deepEqual(coreList.items.map((i) => i.metadata.name), evList.items.map((i) => i.metadata.name));
  });
});
