/**
 * The served resources: one entry per group/version/resource, each with its generic store and
 * the watch cache of its storage prefix (shared by versions that share storage).
 */
import type { ResourceDef } from '../../api/resource.js';
import { GenericStore } from './generic-store.js';
import { resourcePrefix } from './keys.js';
import type { RegistryServices } from './services.js';
import { WatchCache } from './watch-cache.js';

export interface ResourceEntry {
  def: ResourceDef;
  store: GenericStore;
  cache: WatchCache;
}

export class ResourceRegistry {
  private readonly entries = new Map<string, ResourceEntry>();
  private readonly caches = new Map<string, WatchCache>();

  constructor(private readonly svc: RegistryServices) {}

  private static id(group: string, version: string, plural: string): string {
    return `${group}/${version}/${plural}`;
  }

  /** Adds a resource; its watch cache starts at `startRevision` (shared per storage prefix). */
  add(def: ResourceDef, startRevision: number): ResourceEntry {
    const prefix = resourcePrefix(def);
    let cache = this.caches.get(prefix);
    if (!cache) {
      cache = new WatchCache(this.svc.store, prefix, startRevision);
      cache.start();
      this.caches.set(prefix, cache);
    }
    const entry = { def, store: new GenericStore(def, this.svc), cache };
    this.entries.set(ResourceRegistry.id(def.group, def.version, def.plural), entry);
    return entry;
  }

  lookup(group: string, version: string, plural: string): ResourceEntry | undefined {
    return this.entries.get(ResourceRegistry.id(group, version, plural));
  }

  /** The entry serving `kind` in group/version, e.g. to resolve ownerReferences. */
  byKind(group: string, version: string, kind: string): ResourceEntry | undefined {
    for (const e of this.entries.values()) if (e.def.group === group && e.def.version === version && e.def.kind === kind) return e;
    return undefined;
  }

  all(): ResourceEntry[] {
    return [...this.entries.values()];
  }

  stop(): void {
    for (const c of this.caches.values()) c.stop();
  }
}
