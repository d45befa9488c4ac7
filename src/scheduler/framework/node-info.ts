/**
 * NodeInfo: a node and the pods the scheduler believes run on it (bound or assumed), with their
 * aggregated requests, host ports and affinity pods (after pkg/scheduler/framework/types.go).
 * Pod requests are counted as k8s.io/component-helpers/resource PodRequests does: regular
 * containers summed, init containers as a running maximum, restartable (sidecar) init
 * containers added to everything after them, plus pod overhead.
 */
import type { Container, Node, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../api/quantity.js';

/** Requests in scheduler units: milli-CPU, bytes, and counts for everything else. */
export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  allowedPodNumber: number;
  /** Extended resources (nvidia.com/gpu), hugepages, attachable volumes: name → value. */
  scalar: Record<string, number>;
}

export const emptyResource = (): Resource => ({ milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: {} });

/** Upstream's defaults for pods that request nothing (used by scoring only). */
export const defaultMilliCPURequest = 100;
export const defaultMemoryRequest = 200 * 1024 * 1024;

function quantityValue(name: string, q: unknown): number {
  const parsed = parseQuantity(q as string);
  if (!parsed) return 0;
  return name === 'cpu' ? Number(parsed.milliValue()) : parsed.value();
}

/** Adds a ResourceList (`{cpu: "500m", memory: "1Gi", "nvidia.com/gpu": "1"}`) into `r`. */
export function addResourceList(r: Resource, list: Record<string, unknown> | undefined, sign = 1): void {
  for (const [name, q] of Object.entries(list ?? {})) {
    const v = quantityValue(name, q) * sign;
    switch (name) {
      case 'cpu':
        r.milliCPU += v;
        break;
      case 'memory':
        r.memory += v;
        break;
      case 'ephemeral-storage':
        r.ephemeralStorage += v;
        break;
      case 'pods':
        r.allowedPodNumber += v;
        break;
      default:
        r.scalar[name] = (r.scalar[name] ?? 0) + v;
    }
  }
}

function addInto(a: Resource, b: Resource): void {
  a.milliCPU += b.milliCPU;
  a.memory += b.memory;
  a.ephemeralStorage += b.ephemeralStorage;
  a.allowedPodNumber += b.allowedPodNumber;
  for (const [k, v] of Object.entries(b.scalar)) a.scalar[k] = (a.scalar[k] ?? 0) + v;
}

function maxInto(a: Resource, b: Resource): void {
  a.milliCPU = Math.max(a.milliCPU, b.milliCPU);
  a.memory = Math.max(a.memory, b.memory);
  a.ephemeralStorage = Math.max(a.ephemeralStorage, b.ephemeralStorage);
  for (const [k, v] of Object.entries(b.scalar)) a.scalar[k] = Math.max(a.scalar[k] ?? 0, v);
}

function cloneResource(r: Resource): Resource {
  return { ...r, scalar: { ...r.scalar } };
}

function containerRequests(c: Container, nonZero: boolean): Resource {
  const r = emptyResource();
  addResourceList(r, c.resources?.requests as Record<string, unknown> | undefined);
  if (nonZero) {
    const req = (c.resources?.requests ?? {}) as Record<string, unknown>;
    if (req.cpu === undefined) r.milliCPU = defaultMilliCPURequest;
    if (req.memory === undefined) r.memory = defaultMemoryRequest;
  }
  return r;
}

/**
 * The pod's effective request. `nonZero` applies the scoring defaults to containers that request
 * no cpu or memory (upstream's NonZeroRequested).
 */
export function podRequests(pod: Pod, nonZero = false): Resource {
  const reqs = emptyResource();
  for (const c of pod.spec?.containers ?? []) addInto(reqs, containerRequests(c, nonZero));
  const restartable = emptyResource();
  const initMax = emptyResource();
  for (const c of pod.spec?.initContainers ?? []) {
    let cr = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      addInto(reqs, cr);
      addInto(restartable, cr);
      cr = cloneResource(restartable);
    } else {
      addInto(cr, restartable);
    }
    maxInto(initMax, cr);
  }
  maxInto(reqs, initMax);
  addResourceList(reqs, pod.spec?.overhead as Record<string, unknown> | undefined);
  return reqs;
}

/** A host port in use on a node: `ip` ('0.0.0.0' for any), protocol and port. */
export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/**
 * The host ports a pod occupies. On nodes whose pods share the host network (DESIGN.md §2.7,
 * `host` mode) every containerPort is a host port.
 */
export function podHostPorts(pod: Pod, hostNetworkNode: boolean): HostPort[] {
  const out: HostPort[] = [];
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  for (const c of all)
    for (const p of c.ports ?? []) {
      const port = p.hostPort ?? (hostNetworkNode || pod.spec?.hostNetwork ? p.containerPort : undefined);
      if (!port) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol ?? 'TCP', port });
    }
  return out;
}

/** Node label (and annotation) that says pods on this node share the host network. */
export const networkModeLabel = 'capstan.io/network-mode';
export const isHostNetworkNode = (node: Node | undefined): boolean => node?.metadata?.labels?.[networkModeLabel] === 'host';

export interface PodInfo {
  pod: Pod;
  /** Cached: has required or preferred pod (anti-)affinity terms. */
  hasAffinity: boolean;
  hasRequiredAntiAffinity: boolean;
  /**
   * InterPodAffinity's parse of the pod's (anti-)affinity terms, filled on first use and kept:
   * `pod` never changes and the PodInfo is shared by the cache and every snapshot, so each pod
   * is parsed once rather than once per cycle (upstream's PodInfo carries the parsed terms).
   */
  affinityTerms: unknown;
}

export function podInfo(pod: Pod): PodInfo {
  const a = pod.spec?.affinity;
  const hasAffinity = !!(a?.podAffinity || a?.podAntiAffinity);
  return { pod, hasAffinity, hasRequiredAntiAffinity: (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0, affinityTerms: undefined };
}

const podKey = (p: Pod): string => `${p.metadata?.namespace}/${p.metadata?.name}`;

export class NodeInfo {
  readonly pods: PodInfo[] = [];
  readonly podsWithAffinity: PodInfo[] = [];
  readonly podsWithRequiredAntiAffinity: PodInfo[] = [];
  /** Sum of the pods' requests. */
  requested: Resource = emptyResource();
  /** Same with scoring defaults for pods that request nothing. */
  nonZeroRequested: Resource = emptyResource();
  allocatable: Resource = emptyResource();
  usedPorts: HostPort[] = [];
  /** Image name → size in bytes, from node.status.images. */
  imageSizes = new Map<string, number>();
  /** Bumped on every change; the cache uses it to refresh snapshots incrementally. */
  generation = 0;

  constructor(public node?: Node) {
    if (node) this.setNode(node);
  }

  get name(): string {
    return this.node?.metadata?.name ?? '';
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = emptyResource();
    addResourceList(this.allocatable, (node.status?.allocatable ?? node.status?.capacity) as Record<string, unknown> | undefined);
    this.imageSizes.clear();
    for (const img of node.status?.images ?? []) for (const n of img.names ?? []) this.imageSizes.set(n, img.sizeBytes ?? 0);
    this.usedPorts = this.pods.flatMap((p) => podHostPorts(p.pod, isHostNetworkNode(node)));
    this.generation++;
  }

  addPod(pod: Pod): void {
    const info = podInfo(pod);
    this.pods.push(info);
    if (info.hasAffinity) this.podsWithAffinity.push(info);
    if (info.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity.push(info);
    addInto(this.requested, podRequests(pod));
    addInto(this.nonZeroRequested, podRequests(pod, true));
    this.usedPorts.push(...podHostPorts(pod, isHostNetworkNode(this.node)));
    this.generation++;
  }

  /** Removes the pod with the same namespace/name; false when it was not here. */
  removePod(pod: Pod): boolean {
    const key = podKey(pod);
    const i = this.pods.findIndex((p) => podKey(p.pod) === key);
    if (i < 0) return false;
    const [removed] = this.pods.splice(i, 1);
    for (const list of [this.podsWithAffinity, this.podsWithRequiredAntiAffinity]) {
      const j = list.indexOf(removed);
      if (j >= 0) list.splice(j, 1);
    }
    const r = podRequests(removed.pod);
    const nz = podRequests(removed.pod, true);
    for (const [acc, sub] of [
      [this.requested, r],
      [this.nonZeroRequested, nz],
    ] as const) {
      acc.milliCPU -= sub.milliCPU;
      acc.memory -= sub.memory;
      acc.ephemeralStorage -= sub.ephemeralStorage;
      for (const [k, v] of Object.entries(sub.scalar)) acc.scalar[k] = (acc.scalar[k] ?? 0) - v;
    }
    this.usedPorts = this.pods.flatMap((p) => podHostPorts(p.pod, isHostNetworkNode(this.node)));
    this.generation++;
    return true;
  }

  /** A deep-enough copy for preemption's what-if evaluation and for snapshots. */
  clone(): NodeInfo {
    const c = new NodeInfo();
    c.node = this.node;
    c.pods.push(...this.pods);
    c.podsWithAffinity.push(...this.podsWithAffinity);
    c.podsWithRequiredAntiAffinity.push(...this.podsWithRequiredAntiAffinity);
    c.requested = cloneResource(this.requested);
    c.nonZeroRequested = cloneResource(this.nonZeroRequested);
    c.allocatable = cloneResource(this.allocatable);
    c.usedPorts = [...this.usedPorts];
    c.imageSizes = this.imageSizes;
    c.generation = this.generation;
    return c;
  }
}
