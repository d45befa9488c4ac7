/**
 * The swagger 2.0 document kube-apiserver serves at /openapi/v2 (JSON form): every served
 * resource's paths and operations, and the definitions they reference.
 */
import type { ResourceDef } from '../../api/resource.js';
import type { SchemaNode, SchemaResolver } from '../../api/schema/schema-types.js';
import { type Operation, type Param, type PathItem, resourcePaths, referencedDefinitions, statusDefinition } from './routes.js';
import { definitionClosure } from './schema-closure.js';

/** The Kubernetes version the documents describe (info.version). */
export const openAPIInfo = { title: 'Kubernetes', version: 'v1.32.0' };

export const bearerTokenScheme = { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer Token authentication' };

const produces = ['application/json', 'application/yaml'];
const watchProduces = ['application/json', 'application/yaml', 'application/json;stream=watch'];

function v2Param(p: Param): Record<string, unknown> {
  const out: Record<string, unknown> = { uniqueItems: true, type: p.type, description: p.description, name: p.name, in: p.in };
  if (p.required) out.required = true;
  return out;
}

const ref = (name: string): SchemaNode => ({ $ref: `#/definitions/${name}` });

function v2Operation(o: Operation): Record<string, unknown> {
  const parameters: Record<string, unknown>[] = [];
  if (o.body) parameters.push({ name: 'body', in: 'body', required: o.body.required, schema: ref(o.body.definition) });
  parameters.push(...o.params.map(v2Param));
  const responses: Record<string, unknown> = {};
  for (const [code, def] of Object.entries(o.responses)) responses[code] = { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', schema: ref(def) };
  responses['401'] = { description: 'Unauthorized' };
  const out: Record<string, unknown> = {
    description: o.description,
    consumes: o.consumes,
    produces: o.watch ? watchProduces : produces,
    schemes: ['https'],
    tags: [o.tag],
    operationId: o.operationId,
  };
  if (parameters.length) out.parameters = parameters;
  out.responses = responses;
  out['x-kubernetes-action'] = o.action;
  out['x-kubernetes-group-version-kind'] = o.gvk;
  return out;
}

/** Path → path item object, as swagger 2.0 writes it. */
export function renderV2Paths(items: readonly PathItem[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const item of items) {
    const entry: Record<string, unknown> = {};
    for (const o of item.operations) entry[o.method] = v2Operation(o);
    entry.parameters = item.params.map(v2Param);
    paths[item.path] = entry;
  }
  return paths;
}

export function buildOpenAPIv2(resources: readonly ResourceDef[], resolver: SchemaResolver): Record<string, unknown> {
  const items = resources.flatMap((r) => resourcePaths(r, resolver));
  items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const names = definitionClosure([...referencedDefinitions(items), statusDefinition], resolver);
  const definitions: Record<string, SchemaNode> = {};
  for (const n of names) definitions[n] = resolver.definition(n)!;
  return {
    swagger: '2.0',
    info: openAPIInfo,
    paths: renderV2Paths(items),
    definitions,
    securityDefinitions: { BearerToken: bearerTokenScheme },
    security: [{ BearerToken: [] }],
  };
}
