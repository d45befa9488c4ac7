import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import { applyStrategicMergePatch } from '../../api/patch/strategic-merge-patch.js';
import { schemaFromDefinitions, type PatchSchemaNode } from '../../api/patch/patch-schema.js';
import { parseEvictionHard, parseNodeFlags, parseReserved } from './node-flags.js';
import type { HostReadings } from './node-readings.js';
import { fakeGpus } from './gpus.js';
import {
  buildNode,
  hardEvictionReservation,
  networkModeLabel,
  nodeAllocatable,
  nodeCapacity,
  nodeConditionEvents,
  nodeConditions,
  nodeStatus,
  nodeStatusPatch,
  observePressure,
  reconcileExistingNode,
  rfc3339,
  type NodeInput,
} from './node-status.js';

const GiB = 1024 ** 3;

const readings = (over: Partial<HostReadings> = {}): HostReadings => ({
  cpuMillis: 4000,
  memoryCapacityBytes: 16374836 * 1024,
  memoryAvailableBytes: 8 * GiB,
  fs: { capacityBytes: 100 * GiB, availableBytes: 50 * GiB, inodes: 1_000_000, inodesFree: 900_000 },
  pid: { max: 100_000, running: 300 },
  bootID: 'boot-1',
  machineID: 'machine-1',
  systemUUID: 'system-1',
  kernelVersion: '6.1.0-test',
  osImage: 'Test OS 1',
  operatingSystem: 'linux',
  architecture: 'amd64',
  hostname: 'node-a',
  addresses: [
    { type: 'InternalIP', address: '192.0.2.2' },
    { type: 'Hostname', address: 'node-a' },
  ],
  ...over,
});

const T0 = Date.parse('2025-01-01T00:00:00Z');
const input = (over: Partial<NodeInput> = {}): NodeInput => ({
  name: 'node-a',
  readings: readings(),
  gpus: [],
  flags: parseNodeFlags({}),
  networkMode: 'host',
  kubeletVersion: 'v1.32.0+capstan',
  containerRuntime: { type: 'process', version: '0.1.0' },
  ...over,
});

describe('capacity and allocatable', () => {
  test('capacity in the kubelet formats', () => {
    assert.deepEqual(nodeCapacity(readings(), []), {
      cpu: '4',
      'ephemeral-storage': '100Gi',
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: '16374836Ki',
      pods: '110',
    });
    const c = nodeCapacity(readings({ cpuMillis: 1500 }), fakeGpus(2), 50);
    assert.equal(c.cpu, '1500m');
    assert.equal(c.pods, '50');
    assert.equal(c['nvidia.com/gpu'], '2');
  });

  test('allocatable = capacity − system − kube − hard eviction (memory and nodefs only)', () => {
    const cap = nodeCapacity(readings(), fakeGpus(1));
    const alloc = nodeAllocatable(cap, parseReserved('--kube-reserved', 'cpu=100m,memory=256Mi,pid=100'), parseReserved('--system-reserved', 'cpu=100m,ephemeral-storage=1Gi'), parseEvictionHard(undefined));
    assert.equal(alloc.cpu, '3800m');
    // 16374836Ki − 256Mi − 100Mi
    assert.equal(alloc.memory, `${16374836 - 256 * 1024 - 100 * 1024}Ki`);
    // 100Gi − 1Gi − trunc(100Gi × float32(0.1))
    const tenPercent = Math.trunc(100 * GiB * Math.fround(0.1));
    assert.equal(alloc['ephemeral-storage'], String(99 * GiB - tenPercent));
    assert.equal(alloc.pods, '110');
    assert.equal(alloc['nvidia.com/gpu'], '1');
    assert.equal(alloc['hugepages-2Mi'], '0');
  });

  test('no reservations: allocatable equals capacity; never negative', () => {
    const cap = nodeCapacity(readings(), []);
    assert.deepEqual(nodeAllocatable(cap, {}, {}, []), cap);
    const alloc = nodeAllocatable(cap, parseReserved('--kube-reserved', 'cpu=8,memory=64Gi'), {}, []);
    assert.equal(alloc.cpu, '0');
    assert.equal(alloc.memory, '0');
  });

  test('hard eviction reservation: quantity as given, percentage of capacity', () => {
    const cap = { memory: '1000', 'ephemeral-storage': '1000' };
    assert.deepEqual(hardEvictionReservation(parseEvictionHard('memory.available<10%,nodefs.available<5Mi,imagefs.available<50%'), cap), { memory: '100', 'ephemeral-storage': '5Mi' });
  });
});

describe('conditions', () => {
  const defaults = parseEvictionHard(undefined);

  test('healthy node: the four conditions in order and upstream words', () => {
    const c = nodeConditions(readings(), defaults, undefined, T0, { ok: true });
    const t = rfc3339(T0);
    assert.deepEqual(c, [
      { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: t, lastTransitionTime: t },
      { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastHeartbeatTime: t, lastTransitionTime: t },
      { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastHeartbeatTime: t, lastTransitionTime: t },
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: t, lastTransitionTime: t },
    ]);
  });

  test('pressure from memory, disk, inodes and PIDs', () => {
    const under = (r: Partial<HostReadings>, thresholds = defaults) => observePressure(readings(r), thresholds);
    assert.deepEqual(under({}), { memory: false, disk: false, pid: false });
    assert.equal(under({ memoryAvailableBytes: 99 * 1024 * 1024 }).memory, true);
    assert.equal(under({ memoryAvailableBytes: 100 * 1024 * 1024 }).memory, false, 'strictly below the threshold');
    // imagefs.available<15% applies to the shared filesystem.
    assert.equal(under({ fs: { capacityBytes: 100 * GiB, availableBytes: 14 * GiB, inodes: 10, inodesFree: 10 } }).disk, true);
    assert.equal(under({ fs: { capacityBytes: 100 * GiB, availableBytes: 50 * GiB, inodes: 100, inodesFree: 4 } }).disk, true);
    assert.equal(under({ fs: { capacityBytes: 100 * GiB, availableBytes: 50 * GiB, inodes: 0, inodesFree: 0 } }).disk, false, 'no inode table, no inode signal');
    assert.equal(under({ pid: { max: 1000, running: 950 } }, parseEvictionHard('pid.available<10%')).pid, true);
    assert.equal(under({ pid: { max: 1000, running: 950 } }).pid, false, 'no pid threshold by default');
  });

  test('transition times move only on a flip; heartbeats always', () => {
    const first = nodeConditions(readings(), defaults, undefined, T0, { ok: true });
    const later = nodeConditions(readings({ memoryAvailableBytes: 1 }), defaults, first, T0 + 10_000, { ok: true });
    const mem = later.find((c) => c.type === 'MemoryPressure')!;
    assert.deepEqual([mem.status, mem.reason, mem.message], ['True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available']);
    assert.equal(mem.lastTransitionTime, rfc3339(T0 + 10_000));
    const ready = later.find((c) => c.type === 'Ready')!;
    assert.equal(ready.lastTransitionTime, rfc3339(T0));
    assert.equal(ready.lastHeartbeatTime, rfc3339(T0 + 10_000));
  });

  test('not ready: KubeletNotReady with the given message', () => {
    const c = nodeConditions(readings(), defaults, undefined, T0, { ok: false, message: 'container runtime is down' });
    assert.deepEqual(c[3], { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down', lastHeartbeatTime: rfc3339(T0), lastTransitionTime: rfc3339(T0) });
  });

  test('events: pressure conditions when new or flipped, Ready when flipped', () => {
    const first = nodeConditions(readings(), defaults, undefined, T0, { ok: false, message: 'starting' });
    assert.deepEqual(
      nodeConditionEvents('node-a', undefined, first).map((e) => e.reason),
      ['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID'],
    );
    const second = nodeConditions(readings(), defaults, first, T0 + 1000, { ok: true });
    assert.deepEqual(nodeConditionEvents('node-a', first, second), [{ type: 'Normal', reason: 'NodeReady', message: 'Node node-a status is now: NodeReady' }]);
    assert.deepEqual(nodeConditionEvents('node-a', second, nodeConditions(readings(), defaults, second, T0 + 2000, { ok: true })), []);
  });
});

describe('the Node object', () => {
  test('registration: labels, annotations, taints, status', () => {
    const flags = parseNodeFlags({ 'node-labels': 'tier=gpu,kubernetes.io/hostname=custom', 'register-with-taints': 'dedicated=gpu:NoSchedule' });
    const node = buildNode(input({ flags, networkMode: 'bridge', gpus: fakeGpus(1) }), T0);
    assert.equal(node.metadata.name, 'node-a');
    assert.deepEqual(node.metadata.labels, {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      [networkModeLabel]: 'bridge',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'custom',
      'kubernetes.io/os': 'linux',
      tier: 'gpu',
    });
    assert.deepEqual(node.metadata.annotations, { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' });
    assert.deepEqual(node.spec, { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    const s = node.status!;
    assert.equal(s.capacity!['nvidia.com/gpu'], '1');
    assert.equal(s.allocatable!.memory, `${16374836 - 100 * 1024}Ki`);
    assert.deepEqual(s.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
    assert.deepEqual(s.addresses, readings().addresses);
    assert.deepEqual(s.nodeInfo, {
      machineID: 'machine-1',
      systemUUID: 'system-1',
      bootID: 'boot-1',
      kernelVersion: '6.1.0-test',
      osImage: 'Test OS 1',
      containerRuntimeVersion: 'process://0.1.0',
      kubeletVersion: 'v1.32.0+capstan',
      kubeProxyVersion: 'v1.32.0+capstan',
      operatingSystem: 'linux',
      architecture: 'amd64',
    });
    assert.deepEqual(s.conditions!.map((c) => c.type), ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready']);
    assert.deepEqual(buildNode(input(), T0).spec, {});
  });

  test('nodeStatus keeps conditions other writers own, after the agent\'s', () => {
    const prev: NodeStatus = { conditions: [{ type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated' }] };
    const s = nodeStatus(input({ kubeletPort: 10251 }), T0, { ok: true }, prev);
    assert.deepEqual(s.conditions!.map((c) => c.type), ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready', 'NetworkUnavailable']);
    assert.deepEqual(s.daemonEndpoints, { kubeletEndpoint: { Port: 10251 } });
  });

  test('re-registration patch: default labels and the attach/detach annotation only', () => {
    const wanted = buildNode(input(), T0);
    assert.equal(reconcileExistingNode(wanted, input()), undefined);
    const existing = { metadata: { name: 'node-a', labels: { ...wanted.metadata.labels, 'kubernetes.io/arch': 'arm64', [networkModeLabel]: 'bridge', extra: 'x' } } };
    assert.deepEqual(reconcileExistingNode(existing, input()), {
      metadata: {
        labels: { 'kubernetes.io/arch': 'amd64', [networkModeLabel]: 'host' },
        annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      },
    });
  });
});

// The parts of kube-apiserver's Node schema that strategic merge reads.
const str: PatchSchemaNode = { type: 'string' };
const strMap: PatchSchemaNode = { type: 'object', additionalProperties: str };
const nodeSchema = schemaFromDefinitions(
  {
    Node: { type: 'object', properties: { status: { $ref: '#/definitions/NodeStatus' } } },
    NodeStatus: {
      type: 'object',
      properties: {
        capacity: strMap,
        allocatable: strMap,
        conditions: { type: 'array', items: { type: 'object', properties: { type: str, status: str } }, 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'type' },
        addresses: { type: 'array', items: { type: 'object', properties: { type: str, address: str } }, 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'type' },
        nodeInfo: { type: 'object', properties: { bootID: str } },
        daemonEndpoints: { type: 'object' },
      },
    },
  },
  'Node',
);
const applied = (status: NodeStatus, patch: unknown): NodeStatus => applyStrategicMergePatch({ status }, patch, nodeSchema).status;
const sortConds = (s: NodeStatus): NodeStatus => ({ ...s, conditions: [...(s.conditions ?? [])].sort((a, b) => a.type.localeCompare(b.type)) });

describe('nodeStatusPatch', () => {
  const s0 = nodeStatus(input(), T0);

  test('first report always posts the whole status', () => {
    const r = nodeStatusPatch(undefined, s0, undefined, T0);
    assert.equal(r.post, true);
    assert.equal(r.reason, 'changed');
    assert.deepEqual(applied({}, r.patch), s0);
  });

  test('only heartbeats changed: no post until the report interval has passed', () => {
    const s1 = nodeStatus(input(), T0 + 10_000, { ok: true }, s0);
    assert.deepEqual(nodeStatusPatch(s0, s1, T0, T0 + 10_000), { post: false, reason: 'unchanged' });
    const due = nodeStatusPatch(s0, s1, T0, T0 + 60_000);
    assert.equal(due.post, true);
    assert.equal(due.reason, 'interval');
    assert.deepEqual(due.patch, { status: { conditions: s1.conditions } });
    assert.equal(nodeStatusPatch(s0, s1, T0, T0 + 20_000, 15_000).reason, 'interval');
  });

  test('a change posts at once, with only what changed besides the conditions', () => {
    const s1 = nodeStatus(input({ gpus: fakeGpus(2), readings: readings({ bootID: 'boot-2' }) }), T0 + 10_000, { ok: true }, s0);
    const r = nodeStatusPatch(s0, s1, T0, T0 + 10_000);
    assert.equal(r.reason, 'changed');
    assert.deepEqual(r.patch!.status.capacity, { 'nvidia.com/gpu': '2' });
    assert.deepEqual(r.patch!.status.nodeInfo, { bootID: 'boot-2' });
    assert.equal(r.patch!.status.addresses, undefined);
    assert.deepEqual(sortConds(applied(s0, r.patch)), sortConds(s1));
  });

  test('a condition flip posts; conditions of other writers survive the patch', () => {
    const withOther: NodeStatus = { ...s0, conditions: [...s0.conditions!, { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated' } as NodeCondition] };
    const s1 = nodeStatus(input(), T0 + 5_000, { ok: false, message: 'runtime down' }, withOther);
    const r = nodeStatusPatch(withOther, s1, T0, T0 + 5_000);
    assert.equal(r.reason, 'changed');
    assert.deepEqual((r.patch!.status.conditions as NodeCondition[]).map((c) => c.type), ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready']);
    const after = applied(withOther, r.patch);
    assert.equal(after.conditions!.find((c) => c.type === 'Ready')!.status, 'False');
    assert.equal(after.conditions!.find((c) => c.type === 'NetworkUnavailable')!.reason, 'RouteCreated');
  });

  test('changed addresses: gone types deleted; removed capacity keys are deleted', () => {
    const s1 = nodeStatus(input({ readings: readings({ addresses: [{ type: 'InternalIP', address: '192.0.2.9' }] }) }), T0 + 1000, { ok: true }, s0);
    const prev = { ...s0, capacity: { ...s0.capacity, 'example.com/foo': '1' } };
    const r = nodeStatusPatch(prev, s1, T0, T0 + 1000);
    assert.equal(r.patch!.status.capacity && (r.patch!.status.capacity as Record<string, unknown>)['example.com/foo'], null);
    const after = applied(prev, r.patch);
    assert.deepEqual(after.addresses, [{ type: 'InternalIP', address: '192.0.2.9' }]);
    assert.equal(after.capacity!['example.com/foo'], undefined);
  });
});
