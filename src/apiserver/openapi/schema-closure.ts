/**
 * The definitions a document must carry: the named roots and everything they reference.
 */
import type { SchemaNode, SchemaResolver } from '../../api/schema/schema-types.js';
import { refName } from '../../api/schema/schema-types.js';

export function definitionClosure(roots: Iterable<string>, resolver: SchemaResolver): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  const visit = (node: SchemaNode): void => {
    if (node.$ref) queue.push(refName(node.$ref));
    if (node.items) visit(node.items);
    if (node.additionalProperties && typeof node.additionalProperties === 'object') visit(node.additionalProperties);
    for (const p of Object.values(node.properties ?? {})) visit(p);
  };
  while (queue.length) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    const def = resolver.definition(name);
    if (!def) continue;
    seen.add(name);
    visit(def);
  }
  return [...seen].sort();
}
