/**
 * The slice of the API schema that strategic merge patch and server-side apply read. It is a
 * structural subset of `SchemaNode`/`SchemaResolver` (../schema/schema-types.ts), so the apiserver
 * passes `{ root: resolver.forKind(g, v, k), resolve: (n) => resolver.resolve(n) }`.
 *
 * Where a node is absent (an unknown field, a CRD without a schema, preserve-unknown-fields), the
 * patch code behaves as upstream does without type information: strategic merge patch merges maps
 * and replaces lists (JSON merge patch), and apply treats lists as atomic and maps as granular.
 */

export interface PatchSchemaNode {
  type?: string;
  $ref?: string;
  properties?: Record<string, PatchSchemaNode>;
  items?: PatchSchemaNode;
  additionalProperties?: PatchSchemaNode | boolean;
  allOf?: PatchSchemaNode[];
  default?: unknown;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'granular' | 'atomic';
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

export interface PatchSchema {
  /** The root node of the object's kind; undefined when the kind has no schema. */
  readonly root: PatchSchemaNode | undefined;
  /** The node with `$ref` followed, keeping extensions written beside the `$ref`. */
  resolve(node: PatchSchemaNode): PatchSchemaNode;
}

/** A schema over a definitions table (`#/definitions/<name>` references). */
export function schemaFromDefinitions(definitions: Record<string, PatchSchemaNode>, rootName: string): PatchSchema {
  const resolve = (node: PatchSchemaNode): PatchSchemaNode => {
    let cur = node;
    const seen = new Set<string>();
    for (;;) {
      const ref = cur.$ref ?? (cur.allOf?.length === 1 ? cur.allOf[0].$ref : undefined);
      if (!ref || seen.has(ref)) return cur;
      seen.add(ref);
      const target = definitions[ref.replace(/^#\/definitions\//, '')];
      if (!target) return cur;
      const { $ref: _r, allOf: _a, ...beside } = cur;
      cur = { ...target, ...beside };
    }
  };
  return { root: definitions[rootName], resolve };
}

/** The resolved node, or undefined. */
export function resolved(schema: PatchSchema, node: PatchSchemaNode | undefined): PatchSchemaNode | undefined {
  return node ? schema.resolve(node) : undefined;
}

/**
 * The node of member `key` of an object node: a declared property, else the map value schema.
 * `declared` tells a struct field from a map key (server-side apply treats them differently).
 */
export function memberNode(
  schema: PatchSchema,
  node: PatchSchemaNode | undefined,
  key: string,
): { node: PatchSchemaNode | undefined; declared: boolean } {
  const n = resolved(schema, node);
  if (!n) return { node: undefined, declared: false };
  const prop = n.properties?.[key];
  if (prop) return { node: schema.resolve(prop), declared: true };
  if (typeof n.additionalProperties === 'object') return { node: schema.resolve(n.additionalProperties), declared: false };
  return { node: undefined, declared: false };
}

/** The element node of a list node. */
export function itemNode(schema: PatchSchema, node: PatchSchemaNode | undefined): PatchSchemaNode | undefined {
  const n = resolved(schema, node);
  return n?.items ? schema.resolve(n.items) : undefined;
}

/** `x-kubernetes-patch-strategy` split into its `retainKeys` flag and its other strategy. */
export function patchStrategy(node: PatchSchemaNode | undefined): { retainKeys: boolean; strategy: string } {
  const parts = (node?.['x-kubernetes-patch-strategy'] ?? '').split(',').filter((s) => s !== '');
  return { retainKeys: parts.includes('retainKeys'), strategy: parts.find((s) => s !== 'retainKeys') ?? '' };
}

/**
 * How apply treats a list: the declared list type, else what upstream's schema conversion derives
 * from the patch extensions (merge with a key: a map keyed by it; merge without one: a set),
 * else atomic.
 */
export function listType(node: PatchSchemaNode | undefined): { type: 'atomic' | 'set' | 'map'; keys: string[] } {
  if (!node) return { type: 'atomic', keys: [] };
  const declared = node['x-kubernetes-list-type'];
  if (declared === 'map') return { type: 'map', keys: node['x-kubernetes-list-map-keys'] ?? [] };
  if (declared) return { type: declared, keys: [] };
  const { strategy } = patchStrategy(node);
  const mergeKey = node['x-kubernetes-patch-merge-key'];
  if (strategy === 'merge') return mergeKey ? { type: 'map', keys: [mergeKey] } : { type: 'set', keys: [] };
  return { type: 'atomic', keys: [] };
}

/** Whether apply treats an object node as one value. */
export function isAtomicMap(node: PatchSchemaNode | undefined): boolean {
  return node?.['x-kubernetes-map-type'] === 'atomic';
}
