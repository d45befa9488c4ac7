/**
 * Pods for the scheduler benchmark. No container ports: on simulated nodes in host network mode
 * every containerPort is a host port, which would cap pods per node at one per port.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

export type BenchPodKind = 'plain' | 'anti-affinity' | 'spread';

/**
 * Pod number `index` of a benchmark run. For the constrained kinds, pods `groupSize` apart share
 * a group label (`index / groupSize`), and the constraint selects that group.
 */
export function benchSchedulingPod(name: string, kind: BenchPodKind, index: number, groupSize: number): Pod {
  const group = `g-${Math.floor(index / groupSize)}`;
  const selector = { matchLabels: { group } };
  const spec: Pod['spec'] = {
    terminationGracePeriodSeconds: 0,
    containers: [{ name: 'app', image: 'registry.example/app:1', resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
  };
  if (kind === 'anti-affinity') spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: selector, topologyKey: 'kubernetes.io/hostname' }] } };
  if (kind === 'spread') spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: selector }];
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'bench', group } }, spec };
}
