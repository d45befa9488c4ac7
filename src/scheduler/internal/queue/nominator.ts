/**
 * Which pods are nominated to which node (pkg/scheduler/backend/queue nominator): preemptors wait
 * for their victims to leave, and other pods' filters count them on that node meanwhile.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

const keyOf = (p: Pod): string => p.metadata?.uid || `${p.metadata?.namespace}/${p.metadata?.name}`;

export class Nominator {
  private readonly byNode = new Map<string, Map<string, Pod>>();
  private readonly nodeOf = new Map<string, string>();

  /** Records `pod` as nominated to `nodeName` (default: its status.nominatedNodeName); no name clears it. */
  add(pod: Pod, nodeName = pod.status?.nominatedNodeName): void {
    this.delete(pod);
    if (!nodeName) return;
    const key = keyOf(pod);
    let m = this.byNode.get(nodeName);
    if (!m) this.byNode.set(nodeName, (m = new Map()));
    m.set(key, pod);
    this.nodeOf.set(key, nodeName);
  }

  delete(pod: Pod): void {
    const key = keyOf(pod);
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const m = this.byNode.get(node);
    m?.delete(key);
    if (m?.size === 0) this.byNode.delete(node);
  }

  /** Keeps the nomination (or the new one from status) with the newer pod object. */
  update(oldPod: Pod, newPod: Pod): void {
    const nodeName = newPod.status?.nominatedNodeName || this.nodeOf.get(keyOf(oldPod));
    this.add(newPod, nodeName);
  }

  nominatedPodsForNode(nodeName: string): Pod[] {
    const m = this.byNode.get(nodeName);
    return m ? [...m.values()] : [];
  }

  nominatedNode(pod: Pod): string | undefined {
    return this.nodeOf.get(keyOf(pod));
  }
}
