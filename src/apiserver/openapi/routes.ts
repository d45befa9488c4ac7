/**
 * The REST operations of each resource, described once in a neutral form that openapi-v2.ts and
 * openapi-v3.ts render. Paths, operation ids, `x-kubernetes-action` values and query parameters
 * follow what kube-apiserver v1.32 publishes (k8s.io/apiserver/pkg/endpoints/installer.go).
 */
import type { ResourceDef } from '../../api/resource.js';
import type { GroupVersionKind, SchemaResolver } from '../../api/schema/schema-types.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type Action = 'list' | 'post' | 'get' | 'put' | 'patch' | 'delete' | 'deletecollection' | 'watch' | 'watchlist';

export interface Param {
  name: string;
  in: 'path' | 'query';
  description: string;
  type: 'string' | 'boolean' | 'integer';
  required?: boolean;
}

export interface Operation {
  method: Method;
  operationId: string;
  description: string;
  action: Action;
  gvk: GroupVersionKind;
  tag: string;
  params: Param[];
  /** Definition name of the request body, if any. */
  body?: { definition: string; required: boolean };
  /** HTTP status → definition name of the response body. */
  responses: Record<string, string>;
  consumes: string[];
  watch: boolean;
}

export interface PathItem {
  path: string;
  /** Parameters shared by every operation of the path. */
  params: Param[];
  operations: Operation[];
}

const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
export const statusDefinition = `${meta}Status`;
export const deleteOptionsDefinition = `${meta}DeleteOptions`;
export const watchEventDefinition = `${meta}WatchEvent`;
export const patchDefinition = `${meta}Patch`;
export const scaleDefinition = 'io.k8s.api.autoscaling.v1.Scale';

const q = (name: string, type: Param['type'], description: string): Param => ({ name, in: 'query', type, description });

export const params = {
  pretty: q('pretty', 'string', "'true' indents the JSON response for reading."),
  dryRun: q('dryRun', 'string', "'All' runs every stage of the request (defaulting, validation, admission) but stores nothing."),
  fieldManager: q('fieldManager', 'string', 'Who makes this change, as recorded in metadata.managedFields: at most 128 printable characters. Required for apply patches.'),
  fieldValidation: q('fieldValidation', 'string', "What happens to unknown or duplicate fields in the body: 'Ignore' drops them, 'Warn' (default) drops them with a Warning header, 'Strict' fails the request."),
  force: q('force', 'boolean', 'For apply patches only: take ownership of fields other managers own instead of failing with a conflict.'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'Ask for BOOKMARK events, which carry only a resourceVersion to resume from.'),
  continue: q('continue', 'string', 'The token from the previous page of a chunked list.'),
  fieldSelector: q('fieldSelector', 'string', 'Only objects whose selectable fields match, e.g. spec.nodeName=node-1. Empty selects everything.'),
  labelSelector: q('labelSelector', 'string', "Only objects whose labels match, e.g. 'app=web,tier in (a,b)'. Empty selects everything."),
  limit: q('limit', 'integer', 'At most this many items; the response then carries a continue token for the rest.'),
  resourceVersion: q('resourceVersion', 'string', 'Which state to read or watch from (see resourceVersionMatch). Unset: the newest.'),
  resourceVersionMatch: q('resourceVersionMatch', 'string', "How resourceVersion applies to a list: 'Exact' or 'NotOlderThan'."),
  sendInitialEvents: q('sendInitialEvents', 'boolean', 'With watch=true: start with ADDED events for the current objects, then a BOOKMARK marking their end.'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'End the list or watch after this many seconds.'),
  watch: q('watch', 'boolean', 'Stream ADDED, MODIFIED and DELETED events instead of returning a list.'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'integer', "Seconds before the object is removed; 0 removes it at once. Unset: the object's own default."),
  ignoreStoreReadErrorWithClusterBreakingPotential: q('ignoreStoreReadErrorWithClusterBreakingPotential', 'boolean', 'Delete an object that can no longer be read from storage. Unsafe.'),
  orphanDependents: q('orphanDependents', 'boolean', "Deprecated: use propagationPolicy. 'true' keeps the dependents."),
  propagationPolicy: q('propagationPolicy', 'string', "What happens to dependents: 'Orphan', 'Background' or 'Foreground'."),
};

const pathParam = (name: string, description: string): Param => ({ name, in: 'path', type: 'string', required: true, description });
const nameParam = (kind: string): Param => pathParam('name', `name of the ${kind}`);
const namespaceParam = pathParam('namespace', 'the namespace the object lives in');

const listParams = [
  params.allowWatchBookmarks, params.continue, params.fieldSelector, params.labelSelector, params.limit,
  params.resourceVersion, params.resourceVersionMatch, params.sendInitialEvents, params.timeoutSeconds, params.watch,
];
const writeParams = [params.dryRun, params.fieldManager, params.fieldValidation];
const deleteParams = [params.dryRun, params.gracePeriodSeconds, params.ignoreStoreReadErrorWithClusterBreakingPotential, params.orphanDependents, params.propagationPolicy];
const deleteCollectionParams = [
  params.continue, params.dryRun, params.fieldSelector, params.gracePeriodSeconds, params.ignoreStoreReadErrorWithClusterBreakingPotential,
  params.labelSelector, params.limit, params.orphanDependents, params.propagationPolicy, params.resourceVersion, params.resourceVersionMatch,
  params.sendInitialEvents, params.timeoutSeconds,
];

export const patchContentTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

/** `apps` → `Apps`, `rbac.authorization.k8s.io` → `RbacAuthorization`, core → `Core` (upstream's operation ids). */
export function groupIdPart(group: string): string {
  if (!group) return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split(/[.-]/)
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join('');
}

/** Upstream's tag: `core_v1`, `apps_v1`, `rbacAuthorization_v1`. */
export function tagOf(group: string, version: string): string {
  const g = groupIdPart(group);
  return `${g.charAt(0).toLowerCase()}${g.slice(1)}_${version}`;
}

/** The URL prefix of a group version: `/api/v1`, `/apis/apps/v1`. */
export const groupVersionPrefix = (group: string, version: string): string => (group ? `/apis/${group}/${version}` : `/api/${version}`);

/** The path items of one resource; empty when the schema has no definition for its kind. */
export function resourcePaths(r: ResourceDef, resolver: SchemaResolver): PathItem[] {
  const kindDef = resolver.definitionNameForKind(r.group, r.version, r.kind);
  if (!kindDef) return [];
  const listDef = resolver.definitionNameForKind(r.group, r.version, `${r.kind}List`) ?? kindDef;
  const gvk: GroupVersionKind = { group: r.group, version: r.version, kind: r.kind };
  const scaleGvk: GroupVersionKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  const gv = `${groupIdPart(r.group)}${r.version.charAt(0).toUpperCase()}${r.version.slice(1)}`;
  const ns = r.namespaced ? 'Namespaced' : '';
  const tag = tagOf(r.group, r.version);
  const can = (v: string): boolean => (r.verbs as readonly string[]).includes(v);
  const prefix = groupVersionPrefix(r.group, r.version);
  const scope = r.namespaced ? `${prefix}/namespaces/{namespace}` : prefix;
  const scopeParams = r.namespaced ? [namespaceParam] : [];

  const op = (method: Method, action: Action, id: string, description: string, extra: Partial<Operation> = {}): Operation => ({
    method, action, operationId: id, description, gvk, tag, params: [], responses: {}, consumes: ['*/*'], watch: false, ...extra,
  });
  const items: PathItem[] = [];

  // The collection.
  const collection: Operation[] = [];
  if (can('list')) collection.push(op('get', 'list', `list${gv}${ns}${r.kind}`, `list or watch objects of kind ${r.kind}`, { params: listParams, responses: { '200': listDef } }));
  if (can('create')) collection.push(op('post', 'post', `create${gv}${ns}${r.kind}`, `create ${article(r.kind)}`, { params: writeParams, body: { definition: kindDef, required: true }, responses: { '200': kindDef, '201': kindDef, '202': kindDef } }));
  if (can('deletecollection')) collection.push(op('delete', 'deletecollection', `delete${gv}Collection${ns}${r.kind}`, `delete collection of ${r.kind}`, { params: deleteCollectionParams, body: { definition: deleteOptionsDefinition, required: false }, responses: { '200': statusDefinition } }));
  if (collection.length) items.push({ path: `${scope}/${r.plural}`, params: [...scopeParams, params.pretty], operations: collection });

  // One object.
  const one: Operation[] = [];
  const nm = nameParam(r.kind);
  if (can('get')) one.push(op('get', 'get', `read${gv}${ns}${r.kind}`, `read the specified ${r.kind}`, { responses: { '200': kindDef } }));
  if (can('update')) one.push(op('put', 'put', `replace${gv}${ns}${r.kind}`, `replace the specified ${r.kind}`, { params: writeParams, body: { definition: kindDef, required: true }, responses: { '200': kindDef, '201': kindDef } }));
  if (can('patch')) one.push(op('patch', 'patch', `patch${gv}${ns}${r.kind}`, `partially update the specified ${r.kind}`, { params: [...writeParams, params.force], body: { definition: patchDefinition, required: true }, responses: { '200': kindDef, '201': kindDef }, consumes: patchContentTypes }));
  if (can('delete')) one.push(op('delete', 'delete', `delete${gv}${ns}${r.kind}`, `delete ${article(r.kind)}`, { params: deleteParams, body: { definition: deleteOptionsDefinition, required: false }, responses: { '200': statusDefinition, '202': statusDefinition } }));
  if (one.length) items.push({ path: `${scope}/${r.plural}/{name}`, params: [nm, ...scopeParams, params.pretty], operations: one });

  // Subresources: same store, another strategy (status) or the Scale kind (scale).
  const sub = (name: 'status' | 'scale', def: string, subGvk: GroupVersionKind): void => {
    const label = name === 'status' ? 'status' : 'scale';
    const suffix = name === 'status' ? 'Status' : 'Scale';
    const ops: Operation[] = [
      op('get', 'get', `read${gv}${ns}${r.kind}${suffix}`, `read ${label} of the specified ${r.kind}`, { gvk: subGvk, responses: { '200': def } }),
      op('put', 'put', `replace${gv}${ns}${r.kind}${suffix}`, `replace ${label} of the specified ${r.kind}`, { gvk: subGvk, params: writeParams, body: { definition: def, required: true }, responses: { '200': def, '201': def } }),
      op('patch', 'patch', `patch${gv}${ns}${r.kind}${suffix}`, `partially update ${label} of the specified ${r.kind}`, { gvk: subGvk, params: [...writeParams, params.force], body: { definition: patchDefinition, required: true }, responses: { '200': def, '201': def }, consumes: patchContentTypes }),
    ];
    items.push({ path: `${scope}/${r.plural}/{name}/${name}`, params: [pathParam('name', `name of the ${suffix}`), ...scopeParams, params.pretty], operations: ops });
  };
  if (r.subresources.status) sub('status', kindDef, gvk);
  if (r.subresources.scale && resolver.definition(scaleDefinition)) sub('scale', scaleDefinition, scaleGvk);

  // All namespaces, and the deprecated watch paths kube-apiserver still publishes.
  if (r.namespaced && can('list')) {
    items.push({ path: `${prefix}/${r.plural}`, params: [...listParams, params.pretty], operations: [op('get', 'list', `list${gv}${r.kind}ForAllNamespaces`, `list or watch objects of kind ${r.kind}`, { responses: { '200': listDef } })] });
  }
  if (can('watch')) {
    const watchOp = (action: Action, id: string, description: string): Operation => op('get', action, id, description, { responses: { '200': watchEventDefinition }, watch: true });
    items.push({ path: `${prefix}/watch${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`, params: [...listParams, ...scopeParams, params.pretty], operations: [watchOp('watchlist', `watch${gv}${ns}${r.kind}List`, `stream changes to ${r.kind} objects (deprecated: list with watch=true)`)] });
    items.push({ path: `${prefix}/watch${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}/{name}`, params: [...listParams, nm, ...scopeParams, params.pretty], operations: [watchOp('watch', `watch${gv}${ns}${r.kind}`, `stream changes to one ${r.kind} (deprecated: list with watch=true and a metadata.name field selector)`)] });
    if (r.namespaced) {
      items.push({ path: `${prefix}/watch/${r.plural}`, params: [...listParams, params.pretty], operations: [watchOp('watchlist', `watch${gv}${r.kind}ListForAllNamespaces`, `stream changes to ${r.kind} objects (deprecated: list with watch=true)`)] });
    }
  }
  return items;
}

const article = (kind: string): string => (/^[AEIOU]/.test(kind) ? `an ${kind}` : `a ${kind}`);

/** Definition names referenced by the operations (bodies and responses). */
export function referencedDefinitions(items: readonly PathItem[]): Set<string> {
  const out = new Set<string>();
  for (const item of items) {
    for (const o of item.operations) {
      if (o.body) out.add(o.body.definition);
      for (const d of Object.values(o.responses)) out.add(d);
    }
  }
  return out;
}
