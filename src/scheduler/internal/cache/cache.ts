/**
 * The scheduler's cache (pkg/scheduler/backend/cache/cache.go): nodes and the pods on them, bound
 * (seen by the informer) or assumed (placed by a scheduling cycle, binding in flight). A pod is
 * assumed at the end of a successful cycle so the next cycle already counts it, forgotten if its
 * binding fails, confirmed when the informer reports it bound, and expired if binding finished but
 * the informer never confirmed it within the TTL. Terminal pods (Succeeded/Failed) free their node.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { type Clock, realClock } from '../../../client/clock.js';
import { NodeInfo } from '../../framework/node-info.js';
import { Snapshot } from './snapshot.js';

interface PodState {
  pod: Pod;
  nodeName: string;
  assumed: boolean;
  bindingFinished: boolean;
  /** When an assumed pod whose binding finished expires (ms). */
  deadline?: number;
}

export const cachePodKey = (p: Pod): string => p.metadata?.uid || `${p.metadata?.namespace}/${p.metadata?.name}`;

const isTerminal = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export interface CacheOptions {
  clock?: Clock;
  /** How long an assumed pod whose binding finished may wait for the informer (default 15 min). */
  assumedPodTtlMs?: number;
}

export class SchedulerCache {
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  private readonly dirty = new Set<string>();
  private readonly imageNodes = new Map<string, Set<string>>();
  private lastCleanup = -Infinity;

  constructor(opts: CacheOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.ttlMs = opts.assumedPodTtlMs ?? 15 * 60_000;
  }

  // --- nodes -------------------------------------------------------------------------------------

  private info(name: string): NodeInfo {
    let n = this.nodes.get(name);
    if (!n) this.nodes.set(name, (n = new NodeInfo()));
    return n;
  }

  private setImages(name: string, oldNode: Node | undefined, node: Node | undefined): void {
    for (const img of oldNode?.status?.images ?? []) for (const n of img.names ?? []) this.imageNodes.get(n)?.delete(name);
    for (const img of node?.status?.images ?? [])
      for (const n of img.names ?? []) {
        let s = this.imageNodes.get(n);
        if (!s) this.imageNodes.set(n, (s = new Set()));
        s.add(name);
      }
  }

  addNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const info = this.info(name);
    this.setImages(name, info.node, node);
    info.setNode(node);
    this.dirty.add(name);
  }

  updateNode(_old: Node, node: Node): void {
    this.addNode(node);
  }

  /** The NodeInfo stays while pods still reference the node (their deletions will follow). */
  removeNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const info = this.nodes.get(name);
    if (!info) return;
    this.setImages(name, info.node, undefined);
    if (info.pods.length === 0) this.nodes.delete(name);
    else {
      info.node = undefined;
      info.generation++;
    }
    this.dirty.add(name);
  }

  nodeCount(): number {
    let n = 0;
    for (const i of this.nodes.values()) if (i.node) n++;
    return n;
  }

  // --- pods --------------------------------------------------------------------------------------

  private place(pod: Pod, nodeName: string): void {
    this.info(nodeName).addPod(pod);
    this.dirty.add(nodeName);
  }

  private unplace(pod: Pod, nodeName: string): void {
    const info = this.nodes.get(nodeName);
    if (!info) return;
    info.removePod(pod);
    if (!info.node && info.pods.length === 0) this.nodes.delete(nodeName);
    this.dirty.add(nodeName);
  }

  /** Counts `pod` (whose spec.nodeName is the chosen node) on its node before binding. */
  assumePod(pod: Pod): void {
    const key = cachePodKey(pod);
    if (this.pods.has(key)) throw new Error(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} is in the cache, so can't be assumed`);
    const nodeName = pod.spec?.nodeName ?? '';
    this.place(pod, nodeName);
    this.pods.set(key, { pod, nodeName, assumed: true, bindingFinished: false });
  }

  /** Binding returned; the assumed pod now expires unless the informer confirms it in time. */
  finishBinding(pod: Pod): void {
    const s = this.pods.get(cachePodKey(pod));
    if (!s?.assumed) return;
    s.bindingFinished = true;
    s.deadline = this.clock.now() + this.ttlMs;
  }

  /** Binding failed: the assumed pod no longer counts. */
  forgetPod(pod: Pod): void {
    const key = cachePodKey(pod);
    const s = this.pods.get(key);
    if (!s?.assumed) return;
    this.unplace(s.pod, s.nodeName);
    this.pods.delete(key);
  }

  isAssumedPod(pod: Pod): boolean {
    return this.pods.get(cachePodKey(pod))?.assumed ?? false;
  }

  /** The informer saw a bound pod: confirm an assumed one (moving it if it landed elsewhere) or add it. */
  addPod(pod: Pod): void {
    if (isTerminal(pod)) {
      this.removePod(pod);
      return;
    }
    const key = cachePodKey(pod);
    const nodeName = pod.spec?.nodeName ?? '';
    const s = this.pods.get(key);
    if (s) {
      this.unplace(s.pod, s.nodeName);
    }
    this.place(pod, nodeName);
    this.pods.set(key, { pod, nodeName, assumed: false, bindingFinished: false });
  }

  updatePod(_old: Pod, pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const key = cachePodKey(pod);
    const s = this.pods.get(key);
    if (!s) return;
    this.unplace(s.pod, s.nodeName);
    this.pods.delete(key);
  }

  podCount(): number {
    return this.pods.size;
  }

  /** Drops assumed pods whose binding finished more than the TTL ago without confirmation. */
  cleanupAssumedPods(): Pod[] {
    const now = this.clock.now();
    const expired: Pod[] = [];
    // At most once a second (upstream's cleanup period): the scan is O(pods).
    if (now - this.lastCleanup < 1000) return expired;
    this.lastCleanup = now;
    for (const [key, s] of this.pods) {
      if (!s.assumed || !s.bindingFinished || s.deadline === undefined || s.deadline > now) continue;
      this.unplace(s.pod, s.nodeName);
      this.pods.delete(key);
      expired.push(s.pod);
    }
    return expired;
  }

  // --- snapshot ----------------------------------------------------------------------------------

  /**
   * Brings `snapshot` up to date with the nodes changed since its last update: O(changed nodes),
   * plus O(nodes) only when nodes come or go or affinity pods move.
   */
  updateSnapshot(snapshot: Snapshot): void {
    let structural = false;
    let affinityChanged = false;
    for (const name of this.dirty) {
      const info = this.nodes.get(name);
      const old = snapshot.nodeInfoMap.get(name);
      if (info?.node) {
        const clone = info.clone();
        snapshot.nodeInfoMap.set(name, clone);
        const i = snapshot.listIndex.get(name);
        if (i === undefined) structural = true;
        else snapshot.nodeInfoList[i] = clone;
        if ((old?.podsWithAffinity.length ?? 0) > 0 || clone.podsWithAffinity.length > 0) affinityChanged = true;
      } else if (old) {
        snapshot.nodeInfoMap.delete(name);
        structural = true;
      }
    }
    this.dirty.clear();
    if (structural) snapshot.rebuildLists();
    else if (affinityChanged) snapshot.rebuildAffinityLists();
    snapshot.imageCounts = (img) => this.imageNodes.get(img)?.size ?? 0;
  }

  /** A fresh snapshot of everything (tests). */
  snapshot(): Snapshot {
    const s = Snapshot.of([...this.nodes.values()].filter((i) => i.node).map((i) => i.clone()));
    s.imageCounts = (img) => this.imageNodes.get(img)?.size ?? 0;
    return s;
  }
}
