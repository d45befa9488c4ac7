/**
 * A `SchemaResolver` over a set of definitions (see schema-types.ts).
 */
import { type Definitions, type SchemaNode, type SchemaResolver, refName } from './schema-types.js';

const gvkKey = (group: string, version: string, kind: string): string => `${group}/${version}/${kind}`;

export function createResolver(definitions: Definitions): SchemaResolver {
  const byKind = new Map<string, string>();
  for (const [name, node] of Object.entries(definitions)) {
    for (const gvk of node['x-kubernetes-group-version-kind'] ?? []) {
      const key = gvkKey(gvk.group, gvk.version, gvk.kind);
      // meta/v1 types (DeleteOptions, WatchEvent) list many groups; a group's own type wins.
      if (!byKind.has(key)) byKind.set(key, name);
    }
  }
  const resolved = new WeakMap<SchemaNode, SchemaNode>();

  const resolver: SchemaResolver = {
    definitions,
    definition: (name) => definitions[name],
    definitionNameForKind: (group, version, kind) => byKind.get(gvkKey(group, version, kind)),
    forKind(group, version, kind) {
      const name = byKind.get(gvkKey(group, version, kind));
      return name === undefined ? undefined : definitions[name];
    },
    resolve(node) {
      if (node.$ref === undefined) return node;
      const cached = resolved.get(node);
      if (cached) return cached;
      let target: SchemaNode = node;
      const seen = new Set<string>();
      while (target.$ref !== undefined && !seen.has(target.$ref)) {
        seen.add(target.$ref);
        const next = definitions[refName(target.$ref)];
        if (!next) break;
        target = next;
      }
      const { $ref: _ref, ...beside } = node;
      const out = Object.keys(beside).length === 0 ? target : { ...target, ...beside };
      resolved.set(node, out);
      return out;
    },
  };
  return resolver;
}
