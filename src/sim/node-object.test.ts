import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { buildSimNode, conditionsHealthy, reconcileNodePatch, simNodeConditions, simNodeIdentity, simNodeIP, zoneName } from './node-object.js';
import { defaultSimOptions, type SimOptions } from './sim-options.js';

const t0 = Date.parse('2025-01-01T00:00:00Z');
const opts = (over: Partial<SimOptions> = {}): SimOptions => ({ ...defaultSimOptions, ...over });

describe('simulated Node objects', () => {
  test('identity: names, zones round-robin, loopback-space addresses', () => {
    const o = opts({ namePrefix: 'kw-', zones: 3 });
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => simNodeIdentity(i, o).zone),
      ['zone-a', 'zone-b', 'zone-c', 'zone-a'],
    );
    assert.equal(simNodeIdentity(7, o).name, 'kw-7');
    assert.equal(zoneName(0, 0), undefined);
    assert.equal(zoneName(26, 30), 'zone-aa');
    assert.equal(simNodeIP(0), '127.128.0.1');
    assert.equal(simNodeIP(255), '127.128.1.0');
    assert.equal(new Set(Array.from({ length: 5000 }, (_, i) => simNodeIP(i))).size, 5000);
  });

  test('the registered Node carries labels, taints, capacity, conditions and nodeInfo', () => {
    const o = opts({ gpus: 2, labels: { team: 'x', 'kubernetes.io/hostname': 'spoof' }, taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] });
    const id = simNodeIdentity(4, o);
    const n = buildSimNode(id, o, t0);
    assert.equal(n.metadata.name, 'sim-4');
    const l = n.metadata.labels!;
    assert.equal(l['kubernetes.io/hostname'], 'sim-4', 'hostname cannot be overridden');
    assert.equal(l['kubernetes.io/os'], 'linux');
    assert.equal(l['kubernetes.io/arch'], 'amd64');
    assert.equal(l['topology.kubernetes.io/zone'], 'zone-b');
    assert.equal(l['capstan.io/simulated'], 'true');
    assert.equal(l.team, 'x');
    assert.deepEqual(n.spec!.taints, [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }]);
    const s = n.status!;
    assert.deepEqual(s.capacity, { cpu: '32', 'ephemeral-storage': '100Gi', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '256Gi', pods: '110', 'nvidia.com/gpu': '2' });
    assert.deepEqual(s.allocatable, s.capacity);
    assert.deepEqual(
      s.conditions!.map((c) => `${c.type}=${c.status}/${c.reason}`),
      ['MemoryPressure=False/KubeletHasSufficientMemory', 'DiskPressure=False/KubeletHasNoDiskPressure', 'PIDPressure=False/KubeletHasSufficientPID', 'Ready=True/KubeletReady'],
    );
    assert.equal(s.conditions![3].message, 'kubelet is posting ready status');
    assert.equal(s.conditions![3].lastHeartbeatTime, '2025-01-01T00:00:00Z');
    assert.deepEqual(s.addresses, [
      { type: 'InternalIP', address: '127.128.0.5' },
      { type: 'Hostname', address: 'sim-4' },
    ]);
    assert.equal(s.nodeInfo!.kubeletVersion, 'v1.32.0-sim');
    assert.equal(s.nodeInfo!.containerRuntimeVersion, 'sim://1');
    assert.equal(s.nodeInfo!.operatingSystem, 'linux');
    assert.match(s.nodeInfo!.machineID, /^[0-9a-f]{8}-[0-9a-f]{4}-/);
    assert.notEqual(s.nodeInfo!.machineID, buildSimNode(simNodeIdentity(5, o), o, t0).status!.nodeInfo!.machineID);
    assert.equal(s.daemonEndpoints!.kubeletEndpoint!.Port, 10250);
    assert.equal(buildSimNode(id, opts(), t0).status!.capacity!['nvidia.com/gpu'], undefined, 'no GPUs, no GPU resource');
  });

  test('heartbeats keep transition times of unchanged conditions and other writers’ conditions', () => {
    const first = simNodeConditions(t0);
    const prev = [...first.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown' } : c)), { type: 'NetworkUnavailable', status: 'False' }];
    assert.equal(conditionsHealthy(prev), false);
    const next = simNodeConditions(t0 + 60_000, prev);
    assert.equal(conditionsHealthy(next), true);
    const by = (t: string) => next.find((c) => c.type === t)!;
    assert.equal(by('MemoryPressure').lastTransitionTime, '2025-01-01T00:00:00Z');
    assert.equal(by('MemoryPressure').lastHeartbeatTime, '2025-01-01T00:01:00Z');
    assert.equal(by('Ready').lastTransitionTime, '2025-01-01T00:01:00Z');
    assert.equal(by('NetworkUnavailable').status, 'False');
  });

  test('re-registration patches only what differs, adding missing taints', () => {
    const o = opts({ taints: [{ key: 'a', effect: 'NoSchedule' }] });
    const id = simNodeIdentity(0, o);
    const node = buildSimNode(id, o, t0) as Node;
    assert.equal(reconcileNodePatch(node, id, o), undefined);
    const drifted: Node = { ...node, metadata: { ...node.metadata, labels: { ...node.metadata!.labels, 'kubernetes.io/os': 'plan9', extra: 'kept' } }, spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] } };
    assert.deepEqual(reconcileNodePatch(drifted, id, o), {
      metadata: { labels: { 'kubernetes.io/os': 'linux' } },
      spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }, { key: 'a', effect: 'NoSchedule' }] },
    });
  });
});
