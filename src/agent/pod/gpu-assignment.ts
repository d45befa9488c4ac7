/**
 * Which GPUs a pod's containers get, on top of the allocator's bookkeeping (../node/gpus.ts):
 * what each container asks for, the allocation done when the pod is admitted (the device
 * manager's admit handler), the environment a container starts with, and the annotations that
 * record its devices on the runtime's container so that a restarted agent can rebuild the
 * assignments from the containers it finds (the role of the device manager's checkpoint file).
 *
 * A container asks for `nvidia.com/gpu` in its limits (the device manager reads limits; the API
 * copies them into requests). On a node with GPUs, a container that asks for none gets
 * NVIDIA_VISIBLE_DEVICES=void and an empty CUDA_VISIBLE_DEVICES. The NVIDIA device plugin sets
 * nothing for such containers: there the container runtime shows no device to them. Capstan's
 * runtimes run containers with the host's devices in view, so the environment is what keeps a
 * container off the GPUs it was not given.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../api/quantity.js';
import { type GpuAllocator, type GpuAssignment, type GpuDevice, gpuEnv, gpuResourceName, nvidiaControlDevices } from '../node/gpus.js';
import type { ContainerStatus } from '../runtime/runtime.js';
import { podLabels } from '../runtime-config.js';
import { isSidecar } from './pod-actions.js';

/** Annotations on the runtime's container: its device ids (comma-separated), and whether it is an init container. */
export const gpuDevicesAnnotation = 'capstan.io/gpu-devices';
export const gpuInitAnnotation = 'capstan.io/gpu-init';
const podUIDLabel = podLabels.uid;
const containerNameLabel = podLabels.container;

export interface ContainerGpuRequest {
  container: string;
  count: number;
  /** A regular (run-to-completion) init container: its devices pass on to the containers after it. */
  init: boolean;
}

/** How many GPUs one container asks for (its limit, else its request; 0 when none). */
export function containerGpuCount(c: Container): number {
  const q = c.resources?.limits?.[gpuResourceName] ?? c.resources?.requests?.[gpuResourceName];
  if (q === undefined) return 0;
  const v = parseQuantity(q as string)?.value() ?? 0;
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/** The containers of the pod that ask for GPUs, init containers first, in spec order. */
export function podGpuRequests(pod: Pod): ContainerGpuRequest[] {
  const out: ContainerGpuRequest[] = [];
  for (const c of pod.spec?.initContainers ?? []) {
    const count = containerGpuCount(c);
    if (count > 0) out.push({ container: c.name, count, init: !isSidecar(c) });
  }
  for (const c of pod.spec?.containers ?? []) {
    const count = containerGpuCount(c);
    if (count > 0) out.push({ container: c.name, count, init: false });
  }
  return out;
}

/**
 * Allocates devices for every container of the pod that asks for them (at admission, as the
 * device manager does); on failure releases what the pod got and returns the error. On a node
 * without GPUs nothing is allocated: like a resource no device plugin registered, the request is
 * not the node's to satisfy (and admission let it through as a cluster-level resource).
 */
export function allocatePodGpus(allocator: GpuAllocator, pod: Pod): Error | undefined {
  if (allocator.devices.length === 0) return undefined;
  const uid = pod.metadata?.uid ?? '';
  try {
    for (const r of podGpuRequests(pod)) allocator.allocate(uid, r.container, r.count, { init: r.init });
    return undefined;
  } catch (e) {
    allocator.release(uid);
    return e as Error;
  }
}

/**
 * The device environment of one container, placed before its own env (later entries win, as the
 * kubelet puts the device plugin's env first). Nothing on a node without GPUs.
 */
export function gpuEnvVars(nodeHasGpus: boolean, deviceIds: readonly string[]): { name: string; value: string }[] {
  if (!nodeHasGpus && deviceIds.length === 0) return [];
  return Object.entries(gpuEnv(deviceIds)).map(([name, value]) => ({ name, value }));
}

/** The annotations recording a container's devices (none when it has none). */
export function gpuAnnotations(deviceIds: readonly string[], init: boolean): Record<string, string> {
  if (deviceIds.length === 0) return {};
  return init ? { [gpuDevicesAnnotation]: deviceIds.join(','), [gpuInitAnnotation]: 'true' } : { [gpuDevicesAnnotation]: deviceIds.join(',') };
}

/** The assignments the runtime's containers record: the newest attempt of each container wins. */
export function assignmentsFromContainers(containers: readonly ContainerStatus[]): GpuAssignment[] {
  const newest = new Map<string, ContainerStatus>();
  for (const c of containers) {
    const uid = c.labels[podUIDLabel];
    const ids = c.annotations[gpuDevicesAnnotation];
    if (!uid || !ids) continue;
    const key = `${uid}/${c.labels[containerNameLabel] ?? c.metadata.name}`;
    const seen = newest.get(key);
    if (!seen || c.createdAt > seen.createdAt || (c.createdAt === seen.createdAt && c.metadata.attempt > seen.metadata.attempt)) newest.set(key, c);
  }
  const out: GpuAssignment[] = [];
  for (const c of newest.values()) {
    const deviceIds = c.annotations[gpuDevicesAnnotation]!.split(',').filter((id) => id !== '');
    const a: GpuAssignment = { podUID: c.labels[podUIDLabel]!, containerName: c.labels[containerNameLabel] ?? c.metadata.name, deviceIds };
    if (c.annotations[gpuInitAnnotation] === 'true') a.init = true;
    out.push(a);
  }
  return out.sort((a, b) => (a.podUID + a.containerName < b.podUID + b.containerName ? -1 : 1));
}

/**
 * The device nodes a container holding `deviceIds` needs: each device's own node and, when any
 * is a real device, the driver's control nodes (the NVIDIA container runtime's set). Simulated
 * devices need none. The runtime skips nodes the host does not have.
 */
export function gpuDeviceNodes(devices: readonly GpuDevice[], deviceIds: readonly string[]): { containerPath: string; hostPath: string; permissions: string }[] {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const own = [...new Set(deviceIds.flatMap((id) => byId.get(id)?.devicePaths ?? []))];
  if (!own.length) return [];
  return [...own, ...nvidiaControlDevices].map((p) => ({ containerPath: p, hostPath: p, permissions: 'rw' }));
}
