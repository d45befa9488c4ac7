/**
 * The shape of Capstan's API schema: the one source that structural decoding, strategic merge
 * patch, server-side apply and the published OpenAPI documents all read (DESIGN.md §1).
 *
 * A `SchemaNode` is the OpenAPI v2 (swagger 2.0) schema subset that kube-apiserver publishes for
 * built-in types, plus the `x-kubernetes-*` vendor extensions. Definitions are keyed by upstream's
 * names (`io.k8s.api.apps.v1.Deployment`) and reference each other with
 * `$ref: '#/definitions/<name>'`. Nodes are plain JSON data: never mutate one you did not build.
 */

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export interface GroupVersionKind {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
}

export interface SchemaNode {
  description?: string;
  /** Absent on nodes that accept any JSON value (e.g. apiextensions JSON, JSONSchemaPropsOrBool). */
  type?: SchemaType;
  /** `int32`, `int64`, `double`, `byte`, `date-time`, `int-or-string`. */
  format?: string;
  /** `#/definitions/<name>`; resolve with `SchemaResolver.resolve`. */
  $ref?: string;
  properties?: Record<string, SchemaNode>;
  /** Fields that a valid object must carry (non-optional members of the Go/TS type). */
  required?: string[];
  items?: SchemaNode;
  /** Map values (`map[string]T`); `true` means any value. */
  additionalProperties?: SchemaNode | boolean;
  enum?: unknown[];
  default?: unknown;

  /** Strategic merge patch: `merge`, `retainKeys`, `merge,retainKeys`, or `replace`. */
  'x-kubernetes-patch-strategy'?: string;
  /** Strategic merge patch: the field that identifies a list item (`name`, `containerPort`). */
  'x-kubernetes-patch-merge-key'?: string;
  /** Server-side apply: `atomic`, `set` or `map`. Lists without it are atomic. */
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  /** Server-side apply: the key fields of a `map` list. */
  'x-kubernetes-list-map-keys'?: string[];
  /** Server-side apply: `granular` (default) or `atomic` for maps and structs. */
  'x-kubernetes-map-type'?: 'granular' | 'atomic';
  /** Any field is kept (RawExtension, CRD payloads). */
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  /** Integer or string (IntOrString); always paired with `format: int-or-string` in definitions. */
  'x-kubernetes-int-or-string'?: boolean;
  /** An embedded object with apiVersion/kind/metadata. */
  'x-kubernetes-embedded-resource'?: boolean;
  /** On top-level kinds: the group/version/kinds this definition serves. */
  'x-kubernetes-group-version-kind'?: GroupVersionKind[];
  /** Marks a union's discriminator (unused by Capstan so far, kept for round trips). */
  'x-kubernetes-unions'?: unknown[];
}

/** The whole generated schema: definition name → node. */
export type Definitions = Record<string, SchemaNode>;

/**
 * Lookups over the definitions. `forKind` answers the root node of a served kind, and `resolve`
 * follows `$ref` chains so that callers can walk a schema without caring how it was split.
 */
export interface SchemaResolver {
  readonly definitions: Readonly<Definitions>;
  /** The definition with this full name, or undefined. */
  definition(name: string): SchemaNode | undefined;
  /** The root node of the kind (the definition carrying that x-kubernetes-group-version-kind). */
  forKind(group: string, version: string, kind: string): SchemaNode | undefined;
  /** The definition name that serves this kind. */
  definitionNameForKind(group: string, version: string, kind: string): string | undefined;
  /**
   * The node with `$ref` followed (repeatedly). Extensions written beside a `$ref` (list type,
   * patch strategy, description) win over those of the target, as in upstream's documents.
   */
  resolve(node: SchemaNode): SchemaNode;
}

export const definitionsRefPrefix = '#/definitions/';

/** The definition name a `$ref` points at (`#/definitions/x` → `x`). */
export function refName(ref: string): string {
  return ref.startsWith(definitionsRefPrefix) ? ref.slice(definitionsRefPrefix.length) : ref;
}
