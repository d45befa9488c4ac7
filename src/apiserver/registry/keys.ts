/** Storage keys: `/registry/<resource>[.<group>]/[<namespace>/]<name>`. */
import type { ResourceDef } from '../../api/resource.js';

export function resourcePrefix(def: ResourceDef): string {
  const id = def.storageKey ?? (def.group ? `${def.plural}.${def.group}` : def.plural);
  return `/registry/${id}/`;
}

export function objectKey(def: ResourceDef, namespace: string | undefined, name: string): string {
  return def.namespaced ? `${resourcePrefix(def)}${namespace}/${name}` : `${resourcePrefix(def)}${name}`;
}

/** Prefix for a list: the whole resource, or one namespace of it. */
export function listPrefix(def: ResourceDef, namespace: string | undefined): string {
  return def.namespaced && namespace ? `${resourcePrefix(def)}${namespace}/` : resourcePrefix(def);
}

/** Namespace and name back out of a key (for watch filtering without parsing values). */
export function splitKey(def: ResourceDef, key: string): { namespace?: string; name: string } {
  const rest = key.slice(resourcePrefix(def).length);
  if (!def.namespaced) return { name: rest };
  const i = rest.indexOf('/');
  return { namespace: rest.slice(0, i), name: rest.slice(i + 1) };
}
