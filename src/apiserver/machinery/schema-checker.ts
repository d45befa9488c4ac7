/** Structural decoding checks of request bodies against the API schema (see ../http/resource-handler). */
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import type { SchemaResolver } from '../../api/schema/schema-types.js';
import { checkFields, findDuplicateFields, prune } from '../../api/schema/structural-decode.js';
import type { SchemaChecker } from '../http/resource-handler.js';

/** The schema's version of a kind: the storage version for kinds served through a conversion. */
function rootOf(resolver: SchemaResolver, def: ResourceDef) {
  return resolver.forKind(def.group, def.version, def.kind);
}

export class StructuralSchemaChecker implements SchemaChecker {
  constructor(private readonly resolver: SchemaResolver) {}

  check(def: ResourceDef, obj: ApiObject, jsonText?: string): { unknown: string[]; duplicates: string[]; typeErrors: string[] } {
    const root = rootOf(this.resolver, def);
    const duplicates = jsonText ? findDuplicateFields(jsonText) : [];
    if (!root) return { unknown: [], duplicates, typeErrors: [] };
    const r = checkFields(obj, root, this.resolver);
    return { unknown: r.unknown, duplicates, typeErrors: r.typeErrors.map((e) => e.message) };
  }

  prune(def: ResourceDef, obj: ApiObject): void {
    const root = rootOf(this.resolver, def);
    if (!root) return;
    const { pruned } = prune(obj, root, this.resolver);
    for (const k of Object.keys(obj)) delete obj[k];
    Object.assign(obj, pruned);
  }
}
