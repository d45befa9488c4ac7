import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { GpuAllocator, fakeGpus } from '../node/gpus.js';
import type { ContainerStatus } from '../runtime/runtime.js';
import { allocatePodGpus, assignmentsFromContainers, containerGpuCount, gpuAnnotations, gpuDeviceNodes, gpuEnvVars, podGpuRequests } from './gpu-assignment.js';

const gpu = (name: string, n: string | undefined, extra: Partial<Container> = {}): Container => ({ name, image: 'i', ...(n ? { resources: { limits: { 'nvidia.com/gpu': n }, requests: { 'nvidia.com/gpu': n } } } : {}), ...extra });
const pod = (uid: string, containers: Container[], initContainers?: Container[]): Pod => ({ metadata: { name: uid, namespace: 'default', uid }, spec: { containers, initContainers } });

const runtimeContainer = (uid: string, name: string, attempt: number, annotations: Record<string, string>): ContainerStatus => ({
  id: `${uid}-${name}-${attempt}`,
  sandboxId: 's',
  metadata: { name, attempt },
  state: 'CONTAINER_RUNNING',
  image: 'i',
  createdAt: 1000 + attempt,
  startedAt: 1000 + attempt,
  finishedAt: 0,
  exitCode: 0,
  reason: '',
  message: '',
  logPath: '',
  labels: { 'io.kubernetes.pod.uid': uid, 'io.kubernetes.container.name': name },
  annotations,
});

describe('GPU requests', () => {
  test('a container asks through its limit (or request)', () => {
    assert.equal(containerGpuCount(gpu('a', '2')), 2);
    assert.equal(containerGpuCount(gpu('a', undefined)), 0);
    assert.equal(containerGpuCount({ name: 'a', resources: { requests: { 'nvidia.com/gpu': '1' } } }), 1);
    assert.equal(containerGpuCount({ name: 'a', resources: { limits: { 'nvidia.com/gpu': '0' } } }), 0);
  });

  test('init containers first; sidecars are not init containers for reuse', () => {
    const p = pod('u', [gpu('app', '1'), gpu('cpu-only', undefined)], [gpu('setup', '1'), gpu('side', '1', { restartPolicy: 'Always' })]);
    assert.deepEqual(podGpuRequests(p), [
      { container: 'setup', count: 1, init: true },
      { container: 'side', count: 1, init: false },
      { container: 'app', count: 1, init: false },
    ]);
  });
});

describe('allocation at admission', () => {
  test('each pod gets its own devices; an init container’s pass on to the app container', () => {
    const alloc = new GpuAllocator(fakeGpus(3));
    assert.equal(allocatePodGpus(alloc, pod('a', [gpu('app', '1')], [gpu('setup', '1')])), undefined);
    assert.equal(allocatePodGpus(alloc, pod('b', [gpu('x', '2')])), undefined);
    assert.deepEqual(alloc.envFor('a', 'setup'), { NVIDIA_VISIBLE_DEVICES: 'fake-gpu-0', CUDA_VISIBLE_DEVICES: 'fake-gpu-0' });
    assert.deepEqual(alloc.envFor('a', 'app'), { NVIDIA_VISIBLE_DEVICES: 'fake-gpu-0', CUDA_VISIBLE_DEVICES: 'fake-gpu-0' });
    assert.deepEqual(alloc.envFor('b', 'x'), { NVIDIA_VISIBLE_DEVICES: 'fake-gpu-1,fake-gpu-2', CUDA_VISIBLE_DEVICES: 'fake-gpu-1,fake-gpu-2' });
  });

  test('a node without GPUs allocates nothing', () => {
    const alloc = new GpuAllocator([]);
    assert.equal(allocatePodGpus(alloc, pod('a', [gpu('app', '1')])), undefined);
    assert.deepEqual(alloc.assignments(), []);
  });

  test('too few devices: the error, and nothing left held by the pod', () => {
    const alloc = new GpuAllocator(fakeGpus(2));
    allocatePodGpus(alloc, pod('a', [gpu('app', '1')]));
    const err = allocatePodGpus(alloc, pod('b', [gpu('one', '1'), gpu('two', '1')]));
    assert.equal(err?.message, 'requested number of devices unavailable for nvidia.com/gpu. Requested: 1, Available: 0');
    assert.deepEqual(alloc.freeDevices(), ['fake-gpu-1']);
    alloc.release('a');
    assert.deepEqual(alloc.freeDevices(), ['fake-gpu-0', 'fake-gpu-1']);
  });
});

describe('environment and restore', () => {
  test('device env only on GPU nodes; none asked for means none visible', () => {
    assert.deepEqual(gpuEnvVars(false, []), []);
    assert.deepEqual(gpuEnvVars(true, []), [
      { name: 'NVIDIA_VISIBLE_DEVICES', value: 'void' },
      { name: 'CUDA_VISIBLE_DEVICES', value: '' },
    ]);
    assert.deepEqual(gpuEnvVars(true, ['GPU-a', 'GPU-b']), [
      { name: 'NVIDIA_VISIBLE_DEVICES', value: 'GPU-a,GPU-b' },
      { name: 'CUDA_VISIBLE_DEVICES', value: 'GPU-a,GPU-b' },
    ]);
  });

  test('annotations on the runtime’s containers give the assignments back after a restart', () => {
    assert.deepEqual(gpuAnnotations([], false), {});
    const containers = [
      runtimeContainer('a', 'app', 0, gpuAnnotations(['fake-gpu-0'], false)),
      runtimeContainer('a', 'app', 1, gpuAnnotations(['fake-gpu-1'], false)),
      runtimeContainer('a', 'setup', 0, gpuAnnotations(['fake-gpu-1'], true)),
      runtimeContainer('b', 'x', 0, gpuAnnotations(['fake-gpu-0'], false)),
      runtimeContainer('c', 'plain', 0, {}),
    ];
    const assignments = assignmentsFromContainers(containers);
    assert.deepEqual(assignments, [
      { podUID: 'a', containerName: 'app', deviceIds: ['fake-gpu-1'] },
      { podUID: 'a', containerName: 'setup', deviceIds: ['fake-gpu-1'], init: true },
      { podUID: 'b', containerName: 'x', deviceIds: ['fake-gpu-0'] },
    ]);
    const alloc = new GpuAllocator(fakeGpus(3));
    assert.deepEqual(alloc.restore(assignments), []);
    assert.deepEqual(alloc.freeDevices(), ['fake-gpu-2']);
    assert.deepEqual(alloc.allocate('a', 'app', 1), ['fake-gpu-1']);
  });
});

test('gpuDeviceNodes: a real device brings its node and the control nodes; simulated ones none', () => {
  const devices = [
    { id: 'GPU-a', index: '0', name: 'x', mig: false, devicePaths: ['/dev/nvidia0'] },
    { id: 'GPU-b', index: '1', name: 'x', mig: false, devicePaths: ['/dev/nvidia1'] },
    { id: 'fake-gpu-0', index: '0', name: 'sim', mig: false },
  ];
  assert.deepEqual(gpuDeviceNodes(devices, ['GPU-b']).map((d) => d.hostPath), ['/dev/nvidia1', '/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools', '/dev/nvidia-modeset']);
  assert.deepEqual(gpuDeviceNodes(devices, ['fake-gpu-0']), []);
  assert.deepEqual(gpuDeviceNodes(devices, []), []);
});
