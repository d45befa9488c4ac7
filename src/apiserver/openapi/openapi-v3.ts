/**
 * OpenAPI 3.0 documents as kube-apiserver serves them under /openapi/v3: an index naming one
 * document per group version, and per group version a document with that group version's paths
 * and `components.schemas` (k8s.io/kube-openapi/pkg/handler3). `kubectl explain` and kubectl's
 * fieldValidation support check (QueryParamVerifierV3: a PATCH operation with the kind's
 * x-kubernetes-group-version-kind listing a `fieldValidation` parameter) read these.
 */
import type { ResourceDef } from '../../api/resource.js';
import type { SchemaNode, SchemaResolver } from '../../api/schema/schema-types.js';
import { intOrStringDefinition } from '../../api/schema/overlay.js';
import { refName } from '../../api/schema/schema-types.js';
import { bearerTokenScheme, openAPIInfo } from './openapi-v2.js';
import { type Operation, type Param, type PathItem, groupVersionPrefix, referencedDefinitions, resourcePaths, statusDefinition } from './routes.js';
import { definitionClosure } from './schema-closure.js';

/** The index key of a group version: `api/v1`, `apis/apps/v1`. */
export const groupVersionPath = (group: string, version: string): string => groupVersionPrefix(group, version).slice(1);

const componentRef = (name: string): string => `#/components/schemas/${name}`;

/**
 * A definition node in OpenAPI 3 form: refs point into components, and a `$ref` with siblings
 * (a field's description, list type) becomes `allOf: [{$ref}]` beside them, as upstream writes it
 * (siblings of `$ref` are ignored by OpenAPI 3 readers).
 */
export function toV3Schema(node: SchemaNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref') continue;
    if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Record<string, SchemaNode>).map(([p, s]) => [p, toV3Schema(s)]));
    else if (k === 'items') out[k] = toV3Schema(v as SchemaNode);
    else if (k === 'additionalProperties' && typeof v === 'object') out[k] = toV3Schema(v as SchemaNode);
    else out[k] = v;
  }
  if (node.$ref) {
    const target = { $ref: componentRef(refName(node.$ref)) };
    if (Object.keys(out).length === 0) return target;
    out.allOf = [target];
  }
  return out;
}

/** Definitions whose v3 form differs (kube-openapi's OpenAPIV3OneOfTypes). */
function v3Definition(name: string, node: SchemaNode): Record<string, unknown> {
  if (name === intOrStringDefinition) return { description: node.description, oneOf: [{ type: 'integer' }, { type: 'string' }], format: 'int-or-string' };
  if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') return { description: node.description, oneOf: [{ type: 'string' }, { type: 'number' }] };
  return toV3Schema(node);
}

function v3Param(p: Param): Record<string, unknown> {
  const out: Record<string, unknown> = { name: p.name, in: p.in, description: p.description };
  if (p.required) out.required = true;
  out.schema = { type: p.type, uniqueItems: true };
  return out;
}

function content(def: string, watch: boolean): Record<string, unknown> {
  const schema = { $ref: componentRef(def) };
  const types = watch ? ['application/json', 'application/yaml', 'application/json;stream=watch'] : ['application/json', 'application/yaml'];
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

function v3Operation(o: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = { tags: [o.tag], description: o.description, operationId: o.operationId };
  if (o.params.length) out.parameters = o.params.map(v3Param);
  if (o.body) {
    const schema = { $ref: componentRef(o.body.definition) };
    out.requestBody = { content: Object.fromEntries(o.consumes.map((t) => [t, { schema }])), required: o.body.required };
  }
  const responses: Record<string, unknown> = {};
  for (const [code, def] of Object.entries(o.responses)) {
    responses[code] = { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', content: content(def, o.watch) };
  }
  responses['401'] = { description: 'Unauthorized' };
  out.responses = responses;
  out['x-kubernetes-action'] = o.action;
  out['x-kubernetes-group-version-kind'] = o.gvk;
  return out;
}

function renderV3Paths(items: readonly PathItem[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const item of items) {
    const entry: Record<string, unknown> = {};
    for (const o of item.operations) entry[o.method] = v3Operation(o);
    entry.parameters = item.params.map(v3Param);
    paths[item.path] = entry;
  }
  return paths;
}

/** Served resources grouped by their index key (`apis/apps/v1`), keys sorted. */
export function groupVersions(resources: readonly ResourceDef[]): Map<string, ResourceDef[]> {
  const out = new Map<string, ResourceDef[]>();
  for (const r of [...resources].sort((a, b) => groupVersionPath(a.group, a.version).localeCompare(groupVersionPath(b.group, b.version)))) {
    const key = groupVersionPath(r.group, r.version);
    out.set(key, [...(out.get(key) ?? []), r]);
  }
  return out;
}

/** The OpenAPI 3.0 document of one group version's resources. */
export function buildOpenAPIv3GroupVersion(resources: readonly ResourceDef[], resolver: SchemaResolver): Record<string, unknown> {
  const items = resources.flatMap((r) => resourcePaths(r, resolver));
  items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const names = definitionClosure([...referencedDefinitions(items), statusDefinition], resolver);
  const schemas: Record<string, unknown> = {};
  for (const n of names) schemas[n] = v3Definition(n, resolver.definition(n)!);
  return {
    openapi: '3.0.0',
    info: openAPIInfo,
    paths: renderV3Paths(items),
    components: { schemas, securitySchemes: { BearerToken: bearerTokenScheme } },
  };
}

/** The /openapi/v3 index: `{paths: {"apis/apps/v1": {serverRelativeURL: "/openapi/v3/apis/apps/v1?hash=<H>"}}}`. */
export function buildOpenAPIv3Index(hashes: ReadonlyMap<string, string>): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [path, hash] of hashes) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
  return { paths };
}
