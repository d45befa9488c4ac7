/**
 * The node Lease a kubelet keeps in `kube-node-lease` (pkg/kubelet/nodelease and
 * component-helpers/apimachinery/lease/controller.go): named after the node, held by it, owned by
 * the Node object (so it goes when the Node goes), renewed every leaseDuration/4.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { LeaseObject } from './resources.js';

export const nodeLeaseNamespace = 'kube-node-lease';

/** metav1.MicroTime: RFC 3339 with microseconds. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');

/** The Lease as it should stand after a renewal at `now`, built on `current` when there is one. */
export function renewedNodeLease(nodeName: string, nodeUID: string | undefined, durationSeconds: number, now: number, current?: Lease): LeaseObject {
  const ownerReferences = nodeUID ? [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUID }] : current?.metadata?.ownerReferences;
  return {
    ...(current ?? {}),
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { ...(current?.metadata ?? {}), name: nodeName, namespace: nodeLeaseNamespace, ...(ownerReferences ? { ownerReferences } : {}) },
    spec: { ...(current?.spec ?? {}), holderIdentity: nodeName, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) },
  };
}
