/**
 * The per-cycle view of the cluster (pkg/scheduler/backend/cache/snapshot.go): cloned NodeInfos of
 * the nodes that exist, refreshed incrementally by the cache from the nodes changed since the last
 * cycle, so a cycle costs O(changed nodes), not O(nodes).
 */
import type { NodeInfoLister, SharedLister } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';

export class Snapshot implements SharedLister, NodeInfoLister {
  /** @internal maintained by the cache. */
  readonly nodeInfoMap = new Map<string, NodeInfo>();
  /** @internal */
  nodeInfoList: NodeInfo[] = [];
  /** @internal position of each node in nodeInfoList */
  listIndex = new Map<string, number>();
  /** @internal */
  affinityList: NodeInfo[] = [];
  /** @internal */
  antiAffinityList: NodeInfo[] = [];
  /** @internal image name → number of nodes reporting it */
  imageCounts: (image: string) => number = () => 0;

  /** A snapshot of exactly these NodeInfos (tests, preemption dry runs). */
  static of(infos: readonly NodeInfo[]): Snapshot {
    const s = new Snapshot();
    for (const i of infos) s.nodeInfoMap.set(i.name, i);
    s.rebuildLists();
    const counts = new Map<string, number>();
    for (const i of infos) for (const img of i.imageSizes.keys()) counts.set(img, (counts.get(img) ?? 0) + 1);
    s.imageCounts = (img) => counts.get(img) ?? 0;
    return s;
  }

  /** @internal */
  rebuildLists(): void {
    this.nodeInfoList = [...this.nodeInfoMap.values()];
    this.listIndex = new Map(this.nodeInfoList.map((n, i) => [n.name, i]));
    this.rebuildAffinityLists();
  }

  /** @internal */
  rebuildAffinityLists(): void {
    this.affinityList = this.nodeInfoList.filter((n) => n.podsWithAffinity.length > 0);
    this.antiAffinityList = this.nodeInfoList.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
  }

  nodeInfos(): NodeInfoLister {
    return this;
  }

  imageNodeCount(image: string): number {
    return this.imageCounts(image);
  }

  list(): readonly NodeInfo[] {
    return this.nodeInfoList;
  }

  get(nodeName: string): NodeInfo | undefined {
    return this.nodeInfoMap.get(nodeName);
  }

  havePodsWithAffinityList(): readonly NodeInfo[] {
    return this.affinityList;
  }

  havePodsWithRequiredAntiAffinityList(): readonly NodeInfo[] {
    return this.antiAffinityList;
  }

  numNodes(): number {
    return this.nodeInfoList.length;
  }
}
