/**
 * Pod actions served by the API server: binding (the scheduler's write), eviction honouring
 * PodDisruptionBudgets, and priority admission.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiHttp, type ApiHttp } from '../support/api-http.js';
import { kc, kubectl, kubectlPath, startServer, type ServerHandle } from './harness.js';

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'act' } },
  spec: { containers: [{ name: 'c', image: 'img', command: ['sleep', '1'] }], ...extra },
});

describe('pod actions', { skip: !kubectlPath() && 'kubectl is not installed' }, () => {
  let srv: ServerHandle;
  let api: ApiHttp;
  const pods = '/api/v1/namespaces/default/pods';
  before(async () => {
    // The test binds pods itself: no scheduler may try them (and mark them Unschedulable) meanwhile.
    srv = await startServer({ extraArgs: ['--disable-scheduler'] });
    api = apiHttp(srv);
  });
  after(async () => {
    api?.close();
    await srv?.stop();
  });

  test('binding assigns the node once and marks the pod scheduled', async () => {
    await api.json('POST', pods, pod('bind-me'), 201);
    const bind = (node: string) => api.send('POST', `${pods}/bind-me/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-me' }, target: { kind: 'Node', name: node } });
    const first = await bind('node-a');
    assert.equal(first.code, 201, first.body);
    const got = await api.json<{ spec: { nodeName: string }; status: { conditions: { type: string; status: string }[] } }>('GET', `${pods}/bind-me`, undefined, 200);
    assert.equal(got.spec.nodeName, 'node-a');
    assert.deepEqual(got.status.conditions.map((c) => `${c.type}=${c.status}`), ['PodScheduled=True']);
    const again = await bind('node-b');
    assert.equal(again.code, 409);
    assert.match(again.body, /already assigned to node \\"node-a\\"/);
    const legacy = await api.send('POST', '/api/v1/namespaces/default/bindings', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'missing' }, target: { name: 'node-a' } });
    assert.equal(legacy.code, 404);
  });

  test('eviction deletes a pod unless its disruption budget forbids it', async () => {
    await api.json('POST', pods, pod('evict-free'), 201);
    const free = await api.send('POST', `${pods}/evict-free/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evict-free' } });
    assert.equal(free.code, 201, free.body);
    assert.equal((await api.send('GET', `${pods}/evict-free`)).code, 404);

    await api.json('POST', pods, pod('guarded'), 201);
    await api.send('PATCH', `${pods}/guarded/status`, { status: { phase: 'Running' } }, { contentType: 'application/merge-patch+json' });
    kc(srv, ['create', 'pdb', 'guard', '--selector=app=act', '--min-available=1']);
    const refused = await api.send('POST', `${pods}/guarded/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'guarded' } });
    assert.equal(refused.code, 429, refused.body);
    assert.match(refused.body, /disruption budget/);
    assert.equal((await api.send('GET', `${pods}/guarded`)).code, 200);
  });

  test('priority classes resolve into spec.priority and preemptionPolicy', async () => {
    kc(srv, ['create', 'priorityclass', 'serving', '--value=100000', '--preemption-policy=Never']);
    const created = await api.json<{ spec: { priority: number; preemptionPolicy: string } }>('POST', pods, pod('prio', { priorityClassName: 'serving' }), 201);
    assert.equal(created.spec.priority, 100000);
    assert.equal(created.spec.preemptionPolicy, 'Never');
    const plain = await api.json<{ spec: { priority: number } }>('POST', pods, pod('no-prio'), 201);
    assert.equal(plain.spec.priority, 0);
    const missing = await api.send('POST', pods, pod('bad-prio', { priorityClassName: 'nope' }));
    assert.equal(missing.code, 403);
    assert.match(missing.body, /no PriorityClass with name nope was found/);
    kc(srv, ['create', 'priorityclass', 'dflt', '--value=5', '--global-default']);
    const second = kubectl(srv, ['create', 'priorityclass', 'dflt2', '--value=6', '--global-default']);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /already marked as default/);
    const defaulted = await api.json<{ spec: { priority: number; priorityClassName: string } }>('POST', pods, pod('defaulted'), 201);
    assert.equal(defaulted.spec.priority, 5);
    assert.equal(defaulted.spec.priorityClassName, 'dflt');
  });
});
