import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { decidePod, type PodContext } from './pod-status.js';
import { simAnnotations } from './sim-options.js';

const t0 = Date.parse('2025-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function ctx(now: number, over: Partial<PodContext> = {}): PodContext {
  let n = 0;
  return { now, hostIP: '127.128.0.1', allocatePodIP: () => `10.128.0.${++n}`, readyAfterMs: 0, runSecondsAnnotation: simAnnotations.runSeconds, ...over };
}

function pod(over: { annotations?: Record<string, string>; restartPolicy?: string; status?: PodStatus; deletion?: { at: number; grace: number }; hostNetwork?: boolean } = {}): Pod {
  return {
    metadata: {
      name: 'p',
      namespace: 'default',
      uid: 'abc-123',
      annotations: over.annotations,
      ...(over.deletion ? { deletionTimestamp: iso(over.deletion.at), deletionGracePeriodSeconds: over.deletion.grace } : {}),
    },
    spec: {
      nodeName: 'sim-0',
      restartPolicy: over.restartPolicy ?? 'Always',
      hostNetwork: over.hostNetwork,
      initContainers: [{ name: 'init', image: 'busybox' }],
      containers: [
        { name: 'a', image: 'nginx:1' },
        { name: 'b', image: 'redis' },
      ],
    },
    status: over.status ?? { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: iso(t0 - 5000) }] },
  };
}

const cond = (s: PodStatus | undefined, type: string) => s?.conditions?.find((c) => c.type === type);

/** Marks `p` as being deleted (the fields are server-set, so read-only in the types). */
function deleting(p: Pod, deletionTimestamp: string, grace: number): void {
  Object.assign(p.metadata!, { deletionTimestamp, deletionGracePeriodSeconds: grace });
}

/** Runs the decision and "writes" its status, as the API would. */
function apply(p: Pod, c: PodContext): { pod: Pod; decision: ReturnType<typeof decidePod> } {
  const decision = decidePod(p, c);
  return { pod: decision.status ? { ...p, status: decision.status } : p, decision };
}

describe('decidePod', () => {
  test('a pending pod starts Running and, with ready-after 0, Ready at once', () => {
    const { decision: d } = apply(pod(), ctx(t0));
    const s = d.status!;
    assert.equal(s.phase, 'Running');
    assert.equal(s.startTime, iso(t0));
    assert.equal(s.hostIP, '127.128.0.1');
    assert.deepEqual(s.podIPs, [{ ip: '10.128.0.1' }]);
    assert.equal(s.podIP, '10.128.0.1');
    assert.equal(s.qosClass, 'BestEffort', 'fields the kubelet does not own are kept');
    assert.deepEqual(
      s.conditions!.map((c) => `${c.type}=${c.status}`),
      ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True'],
    );
    assert.equal(cond(s, 'PodScheduled')!.lastTransitionTime, iso(t0 - 5000), 'unchanged conditions keep their transition time');
    assert.equal(s.containerStatuses!.length, 2);
    const a = s.containerStatuses![0];
    assert.equal(a.name, 'a');
    assert.equal(a.ready, true);
    assert.equal(a.started, true);
    assert.equal(a.restartCount, 0);
    assert.equal(a.image, 'nginx:1');
    assert.equal(a.imageID, 'sim://nginx:1');
    assert.match(a.containerID!, /^sim:\/\//);
    assert.deepEqual(a.state, { running: { startedAt: iso(t0) } });
    assert.equal(s.initContainerStatuses![0].state!.terminated!.reason, 'Completed');
    assert.equal(d.recheckAfterMs, undefined, 'nothing further is due');
  });

  test('host-network pods take the node IP', () => {
    const s = decidePod(pod({ hostNetwork: true }), ctx(t0)).status!;
    assert.equal(s.podIP, '127.128.0.1');
  });

  test('with ready-after, containers become ready once that time has passed', () => {
    const c = { readyAfterMs: 3000 };
    const started = apply(pod(), ctx(t0, c));
    assert.equal(cond(started.decision.status, 'Ready')!.status, 'False');
    assert.equal(cond(started.decision.status, 'Ready')!.reason, 'ContainersNotReady');
    assert.equal(cond(started.decision.status, 'ContainersReady')!.message, 'containers with unready status: [a b]');
    assert.equal(started.decision.status!.containerStatuses![0].ready, false);
    // Status times have second precision: durations count from the second after startTime.
    assert.equal(started.decision.recheckAfterMs, 4000);
    const early = decidePod(started.pod, ctx(t0 + 1000, c));
    assert.equal(early.status, undefined);
    assert.equal(early.recheckAfterMs, 3000);
    const ready = decidePod(started.pod, ctx(t0 + 4000, c)).status!;
    assert.equal(cond(ready, 'Ready')!.status, 'True');
    assert.equal(cond(ready, 'Ready')!.lastTransitionTime, iso(t0 + 4000));
    assert.equal(ready.containerStatuses![1].ready, true);
    assert.deepEqual(ready.containerStatuses![1].state, { running: { startedAt: iso(t0) } });
  });

  test('readiness gates hold Ready back', () => {
    const p = pod();
    p.spec!.readinessGates = [{ conditionType: 'example.com/gate' }];
    const s = decidePod(p, ctx(t0)).status!;
    assert.equal(cond(s, 'ContainersReady')!.status, 'True');
    assert.equal(cond(s, 'Ready')!.status, 'False');
    assert.equal(cond(s, 'Ready')!.reason, 'ReadinessGatesNotReady');
  });

  test('a Never pod with run-seconds succeeds after that long', () => {
    const started = apply(pod({ restartPolicy: 'Never', annotations: { [simAnnotations.runSeconds]: '5' } }), ctx(t0));
    assert.equal(started.decision.recheckAfterMs, 6000);
    assert.equal(decidePod(started.pod, ctx(t0 + 5999)).recheckAfterMs, 1);
    const done = apply(started.pod, ctx(t0 + 6000));
    const s = done.decision.status!;
    assert.equal(s.phase, 'Succeeded');
    const term = s.containerStatuses![0].state!.terminated!;
    assert.equal(term.exitCode, 0);
    assert.equal(term.reason, 'Completed');
    assert.equal(term.startedAt, iso(t0));
    assert.equal(term.finishedAt, iso(t0 + 6000));
    assert.equal(s.containerStatuses![0].ready, false);
    assert.equal(cond(s, 'Ready')!.status, 'False');
    assert.equal(cond(s, 'Ready')!.reason, 'PodCompleted');
    assert.deepEqual(decidePod(done.pod, ctx(t0 + 9000)), {}, 'a finished pod stays as it is');
  });

  test('the exit-code annotation makes it Failed', () => {
    const started = apply(pod({ restartPolicy: 'OnFailure', annotations: { [simAnnotations.runSeconds]: '1', [simAnnotations.exitCode]: '3' } }), ctx(t0));
    const s = decidePod(started.pod, ctx(t0 + 2000)).status!;
    assert.equal(s.phase, 'Failed');
    assert.equal(s.containerStatuses![0].state!.terminated!.exitCode, 3);
    assert.equal(s.containerStatuses![0].state!.terminated!.reason, 'Error');
  });

  test('Always pods ignore run-seconds; a custom annotation key is honoured', () => {
    const always = apply(pod({ annotations: { [simAnnotations.runSeconds]: '1' } }), ctx(t0));
    assert.equal(always.decision.recheckAfterMs, undefined);
    assert.equal(decidePod(always.pod, ctx(t0 + 60_000)).status, undefined);
    const custom = apply(pod({ restartPolicy: 'Never', annotations: { 'x/run': '2' } }), ctx(t0, { runSecondsAnnotation: 'x/run' }));
    assert.equal(custom.decision.recheckAfterMs, 3000);
  });

  test('a pod never started is deleted at once when deleted', () => {
    assert.deepEqual(decidePod(pod({ deletion: { at: t0 + 30_000, grace: 30 } }), ctx(t0)), { deleteNow: true });
  });

  test('a running pod being deleted: containers stop at once, status is terminal, then delete', () => {
    const running = apply(pod(), ctx(t0)).pod;
    deleting(running, iso(t0 + 40_000), 30);
    const d = decidePod(running, ctx(t0 + 10_000));
    assert.equal(d.deleteNow, true);
    assert.equal(d.status!.phase, 'Succeeded');
    assert.equal(d.status!.containerStatuses![0].state!.terminated!.exitCode, 0);
  });

  test('stop-seconds delays the stop; past the grace period containers are killed', () => {
    const running = apply(pod({ annotations: { [simAnnotations.stopSeconds]: '10' } }), ctx(t0)).pod;
    // Deleted at t0+5s with grace 30: containers exit at t0+15s.
    deleting(running, iso(t0 + 35_000), 30);
    assert.deepEqual(decidePod(running, ctx(t0 + 5000)), { recheckAfterMs: 10_000 });
    assert.equal(decidePod(running, ctx(t0 + 15_000)).status!.containerStatuses![0].state!.terminated!.exitCode, 0);
    // A shortened grace (2 s, asked at t0+6s) kills them at t0+8s.
    deleting(running, iso(t0 + 8000), 2);
    assert.deepEqual(decidePod(running, ctx(t0 + 6000)), { recheckAfterMs: 2000 });
    const killed = decidePod(running, ctx(t0 + 8000));
    assert.equal(killed.deleteNow, true);
    assert.equal(killed.status!.phase, 'Failed');
    assert.equal(killed.status!.containerStatuses![0].state!.terminated!.exitCode, 137);
  });

  test('a finished pod being deleted is deleted without a status write', () => {
    const done = apply(apply(pod({ restartPolicy: 'Never', annotations: { [simAnnotations.runSeconds]: '0' } }), ctx(t0)).pod, ctx(t0)).pod;
    assert.equal(done.status!.phase, 'Succeeded');
    deleting(done, iso(t0 + 1000), 1);
    assert.deepEqual(decidePod(done, ctx(t0 + 500)), { deleteNow: true });
  });
});
