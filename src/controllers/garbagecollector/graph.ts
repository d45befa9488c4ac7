/**
 * The ownership graph of the garbage collector (`pkg/controller/garbagecollector/graph.go` +
 * `graph_builder.go`, without virtual nodes): every watched object with a uid is a node; an edge
 * runs from each ownerReference's uid to the object holding it. Owners referenced but not seen
 * are not nodes; the collector verifies those with a live read.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ApiObject } from '../../api/object.js';

/** The resource an object was seen through. */
export interface GraphResource {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  kind: string;
}

export interface GraphNode {
  uid: string;
  obj: ApiObject;
  resource: GraphResource;
}

export const foregroundFinalizer = 'foregroundDeletion';
export const orphanFinalizer = 'orphan';

/** Being deleted and waiting for its blocking dependents (foreground deletion). */
export const isDeletingDependents = (obj: ApiObject): boolean => !!obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).includes(foregroundFinalizer);
/** Being deleted with its dependents to be orphaned. */
export const isOrphaning = (obj: ApiObject): boolean => !!obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).includes(orphanFinalizer);

export class OwnershipGraph {
  private readonly nodes = new Map<string, GraphNode>();
  /** owner uid → dependent uids */
  private readonly dependents = new Map<string, Set<string>>();

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** The nodes whose ownerReferences name `ownerUid`. */
  dependentsOf(ownerUid: string): GraphNode[] {
    return [...(this.dependents.get(ownerUid) ?? [])].map((u) => this.nodes.get(u)!).filter(Boolean);
  }

  /** Dependents whose reference to `ownerUid` has blockOwnerDeletion (they hold a foreground deletion). */
  blockingDependentsOf(ownerUid: string): GraphNode[] {
    return this.dependentsOf(ownerUid).filter((d) => (d.obj.metadata.ownerReferences ?? []).some((r) => r.uid === ownerUid && r.blockOwnerDeletion === true));
  }

  /** Inserts or replaces `obj`; returns the previous object's ownerReferences (for diffing). */
  upsert(obj: ApiObject, resource: GraphResource): OwnerReference[] | undefined {
    const uid = obj.metadata.uid;
    if (!uid) return undefined;
    const old = this.nodes.get(uid);
    const oldRefs = old?.obj.metadata.ownerReferences ?? [];
    for (const r of oldRefs) this.unlink(r.uid, uid);
    this.nodes.set(uid, { uid, obj, resource });
    for (const r of obj.metadata.ownerReferences ?? []) this.link(r.uid, uid);
    return old ? oldRefs : undefined;
  }

  /** Removes `uid`; returns the removed node. */
  remove(uid: string): GraphNode | undefined {
    const old = this.nodes.get(uid);
    if (!old) return undefined;
    for (const r of old.obj.metadata.ownerReferences ?? []) this.unlink(r.uid, uid);
    this.nodes.delete(uid);
    return old;
  }

  private link(owner: string, dependent: string): void {
    let set = this.dependents.get(owner);
    if (!set) this.dependents.set(owner, (set = new Set()));
    set.add(dependent);
  }

  private unlink(owner: string, dependent: string): void {
    const set = this.dependents.get(owner);
    set?.delete(dependent);
    if (set && set.size === 0) this.dependents.delete(owner);
  }
}
