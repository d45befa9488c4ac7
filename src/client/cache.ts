/**
 * The informer's indexed object cache (client-go `tools/cache/thread_safe_store.go` + `index.go`):
 * objects by `namespace/name` key, plus named secondary indexes. Readers get the cached objects
 * themselves and must not mutate them (deep-copy first).
 */
import type { ApiObject } from '../api/object.js';
import { objectKey } from './resource-path.js';

/** Maps an object to the index values it is filed under. */
export type IndexFunc<T> = (obj: T) => string[];

/** The `namespace` index every informer can use (client-go NamespaceIndex). */
export const namespaceIndex = 'namespace';
export const byNamespace: IndexFunc<ApiObject> = (o) => [o.metadata.namespace ?? ''];

/** Read access to a cache: what listers and reconcilers use. */
export interface Lister<T> {
  get(key: string): T | undefined;
  list(): T[];
  keys(): string[];
  /** Objects filed under `value` in index `name`; throws for an unknown index. */
  byIndex(name: string, value: string): T[];
}

export class IndexedCache<T extends ApiObject = ApiObject> implements Lister<T> {
  private readonly items = new Map<string, T>();
  /** index name → value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(private readonly indexers: Record<string, IndexFunc<T>> = {}) {
    for (const name of Object.keys(indexers)) this.indices.set(name, new Map());
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  byIndex(name: string, value: string): T[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`index ${JSON.stringify(name)} does not exist`);
    return [...(index.get(value) ?? [])].map((k) => this.items.get(k)!).filter(Boolean);
  }

  /** Inserts or replaces; returns the previous object under the same key. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  /** Removes by key; returns the removed object. */
  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const index = this.indices.get(name)!;
      for (const v of fn(obj)) {
        let set = index.get(v);
        if (!set) index.set(v, (set = new Set()));
        set.add(key);
      }
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const index = this.indices.get(name)!;
      for (const v of fn(obj)) {
        const set = index.get(v);
        if (!set) continue;
        set.delete(key);
        if (set.size === 0) index.delete(v);
      }
    }
  }
}
