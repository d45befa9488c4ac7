/** Small builders of Nodes and Pods for scheduler tests. */
import type { Container, Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';

export interface NodeSpecLite {
  cpu?: string;
  memory?: string;
  pods?: string;
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  images?: { names: string[]; sizeBytes: number }[];
}

export function makeNode(name: string, o: NodeSpecLite = {}): Node {
  const allocatable = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...o.extra };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-node-${name}`, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { capacity: allocatable, allocatable, images: o.images, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export interface PodSpecLite {
  namespace?: string;
  cpu?: string;
  memory?: string;
  extra?: Record<string, string>;
  nodeName?: string;
  priority?: number;
  tolerations?: Toleration[];
  nodeSelector?: Record<string, string>;
  affinity?: Pod['spec'] extends infer S ? (S extends { affinity?: infer A } ? A : never) : never;
  ports?: { containerPort: number; hostPort?: number; protocol?: string }[];
  schedulerName?: string;
  image?: string;
  schedulingGates?: { name: string }[];
  labels?: Record<string, string>;
  phase?: string;
}

export function makePod(name: string, o: PodSpecLite = {}): Pod {
  const requests: Record<string, string> = { ...o.extra };
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  const c: Container = { name: 'c', image: o.image ?? 'busybox', resources: Object.keys(requests).length ? { requests, limits: o.extra } : undefined, ports: o.ports };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', uid: `uid-${o.namespace ?? 'default'}-${name}`, labels: o.labels, resourceVersion: '1' },
    spec: {
      containers: [c],
      nodeName: o.nodeName,
      priority: o.priority,
      tolerations: o.tolerations,
      nodeSelector: o.nodeSelector,
      affinity: o.affinity,
      schedulerName: o.schedulerName ?? 'default-scheduler',
      schedulingGates: o.schedulingGates,
    },
    status: o.phase ? { phase: o.phase } : { phase: 'Pending' },
  };
}
