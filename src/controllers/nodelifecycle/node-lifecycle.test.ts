import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { defaultHealthTimings, healthDeadline, messageStoppedPosting, observeNodeHealth, unknownConditions } from './node-health.js';
import { desiredNoExecuteKey, desiredNoScheduleKeys, reconcileTaints, taintKeys } from './node-taints.js';
import { evictionDecision, minTolerationMs } from './taint-eviction.js';

const t0 = Date.parse('2024-01-01T00:00:00Z');
const cond = (type: string, status: string, heartbeat = '2024-01-01T00:00:00Z'): NodeCondition => ({ type, status, lastHeartbeatTime: heartbeat, lastTransitionTime: heartbeat });
const node = (conditions: NodeCondition[], spec: Node['spec'] = {}): Node => ({ metadata: { name: 'n1', creationTimestamp: '2024-01-01T00:00:00Z', resourceVersion: '1' }, spec, status: { conditions } });
const lease = (renewTime: string): Lease => ({ metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { renewTime } });

describe('node health with a fake clock', () => {
  const ready = (hb: string) => node([cond('Ready', 'True', hb)]);
  test('a renewed lease or new heartbeat moves the probe time; nothing else does', () => {
    const steps: { name: string; at: number; node: Node; lease?: Lease; probe: number }[] = [
      { name: 'first sight', at: t0, node: ready('a'), lease: lease('l1'), probe: t0 },
      { name: 'nothing new', at: t0 + 30_000, node: ready('a'), lease: lease('l1'), probe: t0 },
      { name: 'lease renewed', at: t0 + 35_000, node: ready('a'), lease: lease('l2'), probe: t0 + 35_000 },
      { name: 'new heartbeat', at: t0 + 50_000, node: ready('b'), lease: lease('l2'), probe: t0 + 50_000 },
      { name: 'status we wrote (Unknown, same heartbeat)', at: t0 + 60_000, node: node([cond('Ready', 'Unknown', 'b')]), lease: lease('l2'), probe: t0 + 50_000 },
    ];
    let h;
    for (const s of steps) {
      h = observeNodeHealth(h, s.node, s.lease, s.at);
      assert.equal(h.probeTimestamp, s.probe, s.name);
    }
    assert.equal(healthDeadline(ready('b'), h!, defaultHealthTimings), t0 + 90_000);
  });
  test('a node that never posted Ready counts from creation with the startup grace period', () => {
    const n = node([]);
    const h = observeNodeHealth(undefined, n, undefined, t0 + 10_000);
    assert.equal(h.probeTimestamp, t0);
    assert.equal(healthDeadline(n, h, defaultHealthTimings), t0 + 60_000);
  });
  test('unknownConditions marks the four conditions Unknown, once', () => {
    const n = node([cond('Ready', 'True'), cond('MemoryPressure', 'False'), cond('NetworkUnavailable', 'False')]);
    const out = unknownConditions(n, t0 + 45_000)!;
    const byType = Object.fromEntries(out.map((c) => [c.type, c]));
    assert.equal(byType.Ready!.status, 'Unknown');
    assert.equal(byType.Ready!.reason, 'NodeStatusUnknown');
    assert.equal(byType.Ready!.message, messageStoppedPosting);
    assert.equal(byType.Ready!.lastHeartbeatTime, '2024-01-01T00:00:00Z');
    assert.equal(byType.Ready!.lastTransitionTime, '2024-01-01T00:00:45Z');
    assert.equal(byType.DiskPressure!.reason, 'NodeStatusNeverUpdated');
    assert.equal(byType.DiskPressure!.message, 'Kubelet never posted node status.');
    assert.equal(byType.PIDPressure!.status, 'Unknown');
    assert.equal(byType.NetworkUnavailable!.status, 'False', 'other conditions are left alone');
    assert.equal(unknownConditions({ ...n, status: { conditions: out } }, t0 + 50_000), undefined);
  });
});

describe('node taints', () => {
  const cases: { name: string; node: Node; noSchedule: string[]; noExecute?: string }[] = [
    { name: 'healthy', node: node([cond('Ready', 'True'), cond('MemoryPressure', 'False')]), noSchedule: [] },
    { name: 'not ready', node: node([cond('Ready', 'False')]), noSchedule: [taintKeys.notReady], noExecute: taintKeys.notReady },
    { name: 'unknown', node: node([cond('Ready', 'Unknown'), cond('DiskPressure', 'Unknown')]), noSchedule: [taintKeys.unreachable], noExecute: taintKeys.unreachable },
    { name: 'pressure', node: node([cond('Ready', 'True'), cond('MemoryPressure', 'True'), cond('DiskPressure', 'True'), cond('PIDPressure', 'True')]), noSchedule: [taintKeys.memoryPressure, taintKeys.diskPressure, taintKeys.pidPressure] },
    { name: 'cordoned', node: node([cond('Ready', 'True')], { unschedulable: true }), noSchedule: [taintKeys.unschedulable] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(desiredNoScheduleKeys(c.node), c.noSchedule);
      assert.equal(desiredNoExecuteKey(c.node), c.noExecute);
    });
  }
  test('reconcileTaints swaps not-ready for unreachable, keeps foreign taints and timeAdded', () => {
    const foreign: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    const n = node([cond('Ready', 'Unknown')], {
      taints: [foreign, { key: taintKeys.notReady, effect: 'NoSchedule' }, { key: taintKeys.notReady, effect: 'NoExecute', timeAdded: '2024-01-01T00:00:00Z' }],
    });
    const out = reconcileTaints(n, t0 + 5000)!;
    assert.deepEqual(out, [foreign, { key: taintKeys.unreachable, effect: 'NoSchedule' }, { key: taintKeys.unreachable, effect: 'NoExecute', timeAdded: '2024-01-01T00:00:05Z' }]);
    assert.equal(reconcileTaints({ ...n, spec: { taints: out } }, t0 + 9000), undefined, 'stable once in line');
  });
  test('a recovered node loses every managed taint (including the admission-added not-ready:NoSchedule)', () => {
    const n = node([cond('Ready', 'True')], { taints: [{ key: taintKeys.notReady, effect: 'NoSchedule' }, { key: taintKeys.unreachable, effect: 'NoExecute', timeAdded: 'x' }] });
    assert.deepEqual(reconcileTaints(n, t0), []);
  });
});

describe('taint eviction decisions', () => {
  const unreachable: Taint = { key: taintKeys.unreachable, effect: 'NoExecute' };
  const pod = (tolerations: NonNullable<Pod['spec']>['tolerations']): Pod => ({ metadata: { name: 'p' }, spec: { containers: [], tolerations } });
  const cases: { name: string; pod: Pod; taints: Taint[]; want: ReturnType<typeof evictionDecision> }[] = [
    { name: 'no NoExecute taint', pod: pod([]), taints: [{ key: 'x', effect: 'NoSchedule' }], want: { action: 'none' } },
    { name: 'untolerated', pod: pod([]), taints: [unreachable], want: { action: 'evictNow', taint: unreachable } },
    { name: 'tolerated for ever', pod: pod([{ key: taintKeys.unreachable, operator: 'Exists', effect: 'NoExecute' }]), taints: [unreachable], want: { action: 'none' } },
    { name: 'tolerated 300 s', pod: pod([{ key: taintKeys.unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]), taints: [unreachable], want: { action: 'evictAfter', ms: 300_000 } },
    {
      name: 'smallest of several',
      pod: pod([{ operator: 'Exists', tolerationSeconds: 60 }, { key: taintKeys.unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]),
      taints: [unreachable],
      want: { action: 'evictAfter', ms: 60_000 },
    },
    { name: 'negative is now', pod: pod([{ operator: 'Exists', tolerationSeconds: -5 }]), taints: [unreachable], want: { action: 'evictAfter', ms: 0 } },
    { name: 'one of two taints untolerated', pod: pod([{ key: taintKeys.unreachable, operator: 'Exists' }]), taints: [unreachable, { key: 'k', value: 'v', effect: 'NoExecute' }], want: { action: 'evictNow', taint: { key: 'k', value: 'v', effect: 'NoExecute' } } },
    { name: 'NoSchedule toleration does not count', pod: pod([{ key: taintKeys.unreachable, operator: 'Exists', effect: 'NoSchedule' }]), taints: [unreachable], want: { action: 'evictNow', taint: unreachable } },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(evictionDecision(c.pod, c.taints), c.want));
  test('minTolerationMs', () => {
    assert.equal(minTolerationMs([]), -1);
    assert.equal(minTolerationMs([{ tolerationSeconds: 5 }, {}]), 5000);
    assert.equal(minTolerationMs([{}]), -1);
  });
});
