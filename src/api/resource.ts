/**
 * A resource definition: one entry of the resource registry (DESIGN.md §2.4). Built-in kinds are
 * listed in `builtin-resources.ts`; CRDs add entries at run time.
 */
import type { ResourceStrategy } from './strategy.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
export const allVerbs: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export interface ResourceDef {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural, the URL segment. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: readonly Verb[];
  subresources: { status?: boolean; scale?: ScaleSubresource };
  /** Bump metadata.generation on spec changes (kinds with a spec/status split, as upstream). */
  tracksGeneration: boolean;
  /** Another group/version that serves the same objects (e.g. autoscaling/v1 and v2, events.k8s.io). Storage is shared. */
  storageKey?: string;
  strategy: ResourceStrategy;
  /** Present when this version is not the storage version of `storageKey`. */
  conversion?: VersionConversion;
}

/** Where the /scale subresource reads and writes (as a CRD's scale subresource describes it). */
export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export const apiVersionOf = (r: { group: string; version: string }): string => (r.group ? `${r.group}/${r.version}` : r.version);
export const groupResource = (r: ResourceDef): { group: string; resource: string } => ({ group: r.group, resource: r.plural });

/**
 * Conversion between a served version and the storage version, for kinds served in several
 * versions over one storage (autoscaling/v1 ↔ v2 HPAs, events.k8s.io/v1 ↔ core/v1 Events).
 */
export interface VersionConversion {
  toStorage(obj: Record<string, unknown>): Record<string, unknown>;
  fromStorage(obj: Record<string, unknown>): Record<string, unknown>;
}
