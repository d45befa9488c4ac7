/**
 * REST verbs on resources (k8s.io/apiserver/pkg/endpoints/handlers): decoding, field validation
 * (Strict/Warn/Ignore), dry-run, and dispatch to the generic store. Scope, subresource and verb
 * checks happen before any body is read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { servePodLog } from './pod-log.js';
import { isConnectSubresource, servePodConnect } from './pod-connect.js';
import { proxyResources, serveProxy } from './proxy-subresources.js';
import type { ClientCertificate } from '../auth/tls.js';
import type { NodeConnector } from './node-connection.js';
import { StatusError, badRequest, invalidError, methodNotSupported, notFoundPath } from '../../api/errors.js';
import { type ApiObject, deepCopy, isPlainObject } from '../../api/object.js';
import { apiVersionOf, type ResourceDef } from '../../api/resource.js';
import type { DeleteOptions, WriteOptions } from '../registry/generic-store.js';
import { listObjects, ObjectFilter } from '../registry/list.js';
import type { ResourceEntry, ResourceRegistry } from '../registry/resource-registry.js';
import type { PatchType, RegistryServices } from '../registry/services.js';
import { decodeBody, mediaType, readBody } from './body.js';
import { negotiate, type Rendering } from './negotiation.js';
import { renderList, renderObject, type TableRenderer } from './render.js';
import type { ResourceRequest } from './request-info.js';
import { addWarnings, sendJson } from './respond.js';
import { bindPod, evictPod, successStatus } from './pod-subresources.js';
import { getScale, scaleTransform } from './scale.js';
import { createServiceAccountToken, type TokenRequestContext } from './token-request.js';
import { serveWatch, type WatchContext } from './watch-handler.js';

/** Structural checks against the schema: unknown and duplicate fields, and type errors. */
export interface SchemaChecker {
  check(def: ResourceDef, obj: ApiObject, jsonText?: string): { unknown: string[]; duplicates: string[]; typeErrors: string[] };
  /** Drops unknown fields (fieldValidation Ignore/Warn). */
  prune(def: ResourceDef, obj: ApiObject): void;
}

export interface HandlerContext extends WatchContext {
  registry: ResourceRegistry;
  svc: RegistryServices;
  schema: SchemaChecker;
  tables: TableRenderer;
  /** Reaches node agents, for pods/log. */
  nodes: NodeConnector;
  /** Presented to node agents for pods/exec, attach and portforward. */
  agentClientCert?: ClientCertificate;
  /** Issues service-account tokens (serviceaccounts/token); without it that subresource is 404. */
  tokens?: Omit<TokenRequestContext, 'registry'>;
}

const patchTypes: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};
const acceptedPatchTypes = Object.keys(patchTypes);

function writeOptions(q: URLSearchParams, req: IncomingMessage, subresource?: string): WriteOptions {
  const dry = q.getAll('dryRun');
  for (const d of dry) if (d !== 'All') throw new StatusError(400, 'BadRequest', `dryRun: Unsupported value: ${JSON.stringify(d)}: supported values: "All"`);
  const fm = q.get('fieldManager');
  if (fm !== null && (fm.length > 128 || /[^\x20-\x7e]/.test(fm)))
    throw new StatusError(422, 'Invalid', `fieldManager: Invalid value: ${JSON.stringify(fm)}: must be less than 128 characters and printable`);
  return { dryRun: dry.length > 0, fieldManager: fm ?? defaultManager(req), subresource };
}

/** Upstream derives the default manager from the user agent's program name (before the first '/'). */
function defaultManager(req: IncomingMessage): string {
  const ua = req.headers['user-agent'] ?? '';
  const prog = ua.split('/')[0].trim();
  return prog.slice(0, 128) || 'unknown';
}

function fieldValidation(q: URLSearchParams): 'Strict' | 'Warn' | 'Ignore' {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation: Invalid value: ${JSON.stringify(v)}: fieldValidation must be one of "Ignore", "Warn", or "Strict"`);
}

export class ResourceHandler {
  constructor(private readonly ctx: HandlerContext) {}

  async handle(req: IncomingMessage, res: ServerResponse, info: ResourceRequest, q: URLSearchParams): Promise<void> {
    if (!info.group && info.version === 'v1' && (info.resource === 'bindings' || (info.resource === 'pods' && (info.subresource === 'binding' || info.subresource === 'eviction'))))
      return this.podAction(req, res, info, q);
    if (!info.group && info.version === 'v1' && info.resource === 'pods' && isConnectSubresource(info.subresource)) {
      if (!info.namespace || !info.name) throw notFoundPath();
      if (info.verb !== 'get' && info.verb !== 'create') throw methodNotSupported({ group: '', resource: `pods/${info.subresource}` }, info.verb);
      return servePodConnect(req, res, this.ctx, info.subresource, info.namespace, info.name, q);
    }
    if (!info.group && info.version === 'v1' && info.resource === 'pods' && info.subresource === 'log') {
      if (!info.namespace || !info.name) throw notFoundPath();
      if (info.verb !== 'get') throw methodNotSupported({ group: '', resource: 'pods/log' }, info.verb);
      return servePodLog(req, res, this.ctx.registry, this.ctx.nodes, info.namespace, info.name, q);
    }
    if (!info.group && info.version === 'v1' && info.resource === 'serviceaccounts' && info.subresource === 'token' && this.ctx.tokens) return this.serviceAccountToken(req, res, info, q);
    if (!info.group && info.version === 'v1' && info.subresource === 'proxy' && proxyResources.has(info.resource) && info.name !== undefined) {
      if ((info.resource === 'nodes') !== (info.namespace === undefined)) throw notFoundPath();
      return serveProxy(req, res, this.ctx, info.resource, info.namespace, info.name, info.proxyPath ?? '', q.toString());
    }
    const entry = this.ctx.registry.lookup(info.group, info.version, info.resource);
    if (!entry) throw notFoundPath();
    const def = entry.def;
    if (!def.namespaced && info.namespace !== undefined) throw notFoundPath();
    const sub = info.subresource;
    const finalize = sub === 'finalize' && def.kind === 'Namespace' && !def.group;
    if (sub && !((sub === 'status' && def.subresources.status) || (sub === 'scale' && def.subresources.scale) || finalize)) throw notFoundPath();
    if (sub && !info.name) throw notFoundPath();
    const allowed = finalize ? ['update'] : sub ? ['get', 'update', 'patch'] : def.verbs;
    if (!allowed.includes(info.verb)) throw methodNotSupported({ group: def.group, resource: def.plural }, info.verb);
    const ns = def.namespaced ? info.namespace : undefined;
    // A namespaced GET/PUT/DELETE of one object needs a namespace; lists may span all namespaces.
    if (def.namespaced && info.name && !ns) throw notFoundPath();
    const rendering = negotiate(req.headers.accept);

    switch (info.verb) {
      case 'get':
        if (sub === 'scale') return renderObject(res, 200, def, getScale(def, await entry.store.get(ns, info.name!)), { kind: 'json' }, this.ctx.tables, q);
        return renderObject(res, 200, def, await entry.store.get(ns, info.name!), rendering, this.ctx.tables, q);
      case 'list':
        return this.list(res, entry, ns, q, rendering);
      case 'watch':
        return serveWatch(req, res, entry, ns, info.name, q, rendering, this.ctx);
      case 'create':
        return this.create(req, res, entry, ns, q, rendering);
      case 'update':
        return this.replace(req, res, entry, ns, info.name!, q, rendering, sub);
      case 'patch':
        return this.patch(req, res, entry, ns, info.name!, q, rendering, sub);
      case 'delete':
        return this.delete(req, res, entry, ns, info.name!, q, rendering);
      case 'deletecollection':
        return this.deleteCollection(req, res, entry, ns, q, rendering);
    }
  }

  /** POST pods/{name}/binding, the legacy POST bindings, and POST pods/{name}/eviction. */
  private async podAction(req: IncomingMessage, res: ServerResponse, info: ResourceRequest, q: URLSearchParams): Promise<void> {
    const legacy = info.resource === 'bindings';
    if (!info.namespace || (legacy ? !!info.name : !info.name)) throw notFoundPath();
    if (info.verb !== 'create') throw methodNotSupported({ group: '', resource: legacy ? 'bindings' : `pods/${info.subresource}` }, info.verb);
    const opts = writeOptions(q, req, legacy ? 'binding' : info.subresource);
    const body = decodeBody(await readBody(req), mediaType(req)).value;
    if (!isPlainObject(body)) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
    const obj = body as ApiObject;
    obj.metadata ??= {};
    if (info.subresource === 'eviction') {
      await evictPod(this.ctx.registry, this.ctx.svc, info.namespace, info.name!, obj, opts.dryRun);
    } else {
      const podName = legacy ? obj.metadata.name ?? '' : info.name!;
      if (!podName) throw invalidError({ group: '', kind: 'Binding' }, '', [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }]);
      await bindPod(this.ctx.registry.lookup('', 'v1', 'pods')!.store, this.ctx.svc, info.namespace, podName, obj, opts.fieldManager, opts.dryRun);
    }
    sendJson(res, 201, successStatus());
  }

  /** POST serviceaccounts/{name}/token: a TokenRequest answered with a signed token, nothing stored. */
  private async serviceAccountToken(req: IncomingMessage, res: ServerResponse, info: ResourceRequest, q: URLSearchParams): Promise<void> {
    if (!info.namespace || !info.name) throw notFoundPath();
    if (info.verb !== 'create') throw methodNotSupported({ group: '', resource: 'serviceaccounts/token' }, info.verb);
    writeOptions(q, req, 'token');
    const body = decodeBody(await readBody(req), mediaType(req)).value;
    const out = await createServiceAccountToken({ ...this.ctx.tokens!, registry: this.ctx.registry }, info.namespace, info.name, body);
    sendJson(res, 201, out);
  }

  private async list(res: ServerResponse, entry: ResourceEntry, ns: string | undefined, q: URLSearchParams, rendering: Rendering): Promise<void> {
    const filter = new ObjectFilter(entry.def, this.ctx.svc, q.get('labelSelector') ?? '', q.get('fieldSelector') ?? '');
    const limit = q.get('limit');
    if (limit !== null && !/^\d+$/.test(limit)) throw badRequest(`invalid limit: ${JSON.stringify(limit)}`);
    const convert = entry.def.conversion !== undefined;
    const page = await listObjects(
      entry.def,
      {
        svc: this.ctx.svc,
        serve: (j) => (convert ? JSON.stringify(entry.store.toServed(JSON.parse(j) as ApiObject)) : j),
        parse: (j) => JSON.parse(j) as ApiObject,
      },
      {
        namespace: ns,
        resourceVersion: q.get('resourceVersion') ?? undefined,
        resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
        limit: limit ? Number(limit) : undefined,
        continue: q.get('continue') ?? undefined,
      },
      filter,
    );
    const meta = { resourceVersion: page.resourceVersion, continue: page.continue, remainingItemCount: page.remainingItemCount };
    renderList(res, entry.def, page.items, meta, rendering, this.ctx.tables, q);
  }

  /** Reads and decodes an object body, checks its type, and applies the field validation mode. */
  private async readObject(req: IncomingMessage, def: ResourceDef, q: URLSearchParams, res: ServerResponse, expectKind = def.kind, expectVersion = apiVersionOf(def)): Promise<ApiObject> {
    const mode = fieldValidation(q);
    const body = decodeBody(await readBody(req), mediaType(req));
    if (!isPlainObject(body.value)) throw badRequest(`Object 'Kind' is missing in '${String(body.value).slice(0, 100)}'`);
    const obj = body.value as ApiObject;
    if (obj.apiVersion !== undefined && obj.apiVersion !== expectVersion)
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expectVersion})`);
    if (obj.kind !== undefined && obj.kind !== expectKind)
      throw badRequest(`${String(obj.kind)} in version "${def.version}" cannot be handled as a ${expectKind}: the kind in the data (${String(obj.kind)}) does not match the expected kind (${expectKind})`);
    obj.apiVersion = expectVersion;
    obj.kind = expectKind;
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (!isPlainObject(obj.metadata)) throw badRequest(`${expectKind} in version "${def.version}" cannot be handled as a ${expectKind}: json: cannot unmarshal ${Array.isArray(obj.metadata) ? 'array' : typeof obj.metadata} into Go struct field ${expectKind}.metadata of type v1.ObjectMeta`);
    if (expectKind === def.kind) this.applyFieldValidation(def, obj, body.jsonText, mode, res);
    return obj;
  }

  private applyFieldValidation(def: ResourceDef, obj: ApiObject, jsonText: string | undefined, mode: 'Strict' | 'Warn' | 'Ignore', res: ServerResponse): void {
    const { unknown, duplicates, typeErrors } = this.ctx.schema.check(def, obj, jsonText);
    if (typeErrors.length) throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: ${typeErrors.join(', ')}`);
    const problems = [...unknown.map((f) => `unknown field "${f}"`), ...duplicates.map((f) => `duplicate field "${f}"`)];
    if (problems.length && mode === 'Strict') throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${problems.join(', ')}`);
    if (problems.length && mode === 'Warn') addWarnings(res, problems);
    if (unknown.length) this.ctx.schema.prune(def, obj);
  }

  private async create(req: IncomingMessage, res: ServerResponse, entry: ResourceEntry, ns: string | undefined, q: URLSearchParams, rendering: Rendering): Promise<void> {
    const opts = writeOptions(q, req);
    const obj = await this.readObject(req, entry.def, q, res);
    const out = await entry.store.create(ns, obj, opts);
    addWarnings(res, out.warnings);
    renderObject(res, 201, entry.def, out.object, rendering, this.ctx.tables, q);
  }

  private async replace(req: IncomingMessage, res: ServerResponse, entry: ResourceEntry, ns: string | undefined, name: string, q: URLSearchParams, rendering: Rendering, sub?: string): Promise<void> {
    const opts = writeOptions(q, req, sub);
    const def = entry.def;
    if (sub === 'scale') {
      const scale = await this.readObject(req, def, q, res, 'Scale', 'autoscaling/v1');
      const out = await entry.store.update(ns, name, scaleTransform(def, (s) => ({ ...s, spec: scale.spec, metadata: { ...s.metadata, resourceVersion: scale.metadata.resourceVersion } })), opts);
      return renderObject(res, 200, def, getScale(def, out.object), { kind: 'json' }, this.ctx.tables, q);
    }
    const body = await this.readObject(req, def, q, res);
    const out = await entry.store.update(ns, name, () => deepCopy(body), opts);
    addWarnings(res, out.warnings);
    renderObject(res, out.created ? 201 : 200, def, out.object, rendering, this.ctx.tables, q);
  }

  private async patch(req: IncomingMessage, res: ServerResponse, entry: ResourceEntry, ns: string | undefined, name: string, q: URLSearchParams, rendering: Rendering, sub?: string): Promise<void> {
    const def = entry.def;
    const type = patchTypes[mediaType(req)];
    if (!type) {
      req.resume();
      throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${acceptedPatchTypes.join(', ')}`);
    }
    const opts = writeOptions(q, req, sub);
    const mode = fieldValidation(q);
    const body = decodeBody(await readBody(req), mediaType(req), acceptedPatchTypes);
    const patch = body.value;
    if (type === 'json' ? !Array.isArray(patch) : !isPlainObject(patch)) throw badRequest(type === 'json' ? 'json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp' : "couldn't get version/kind; json parse error: expected an object");
    const now = () => this.ctx.svc.clock.now();
    const checkPatched = (obj: ApiObject) => this.applyFieldValidation(def, obj, undefined, mode, res);

    if (sub === 'scale') {
      if (type === 'apply') throw badRequest('apply is not supported on the scale subresource');
      const out = await entry.store.update(ns, name, scaleTransform(def, (s) => this.ctx.svc.patcher.patch(type, def, s, patch, 'scale')), opts);
      return renderObject(res, 200, def, getScale(def, out.object), { kind: 'json' }, this.ctx.tables, q);
    }

    if (type === 'apply') {
      if (q.get('fieldManager') === null) throw new StatusError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', { causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }] });
      const force = ['1', 'true'].includes(q.get('force') ?? '');
      const config = patch as ApiObject;
      if (config.apiVersion !== apiVersionOf(def) || config.kind !== def.kind) {
        if (!config.apiVersion || !config.kind) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(patch).slice(0, 200)}'`);
        throw badRequest(`the API version in the data (${String(config.apiVersion)}) does not match the expected API version (${apiVersionOf(def)})`);
      }
      config.metadata ??= {};
      this.applyFieldValidation(def, config, body.jsonText, mode, res);
      const out = await entry.store.update(
        ns,
        name,
        (cur) => {
          const applied = this.ctx.svc.fieldManager.apply(cur, deepCopy(config), { manager: opts.fieldManager, force, def, apiVersion: apiVersionOf(def), subresource: sub, now: now() });
          if (!cur) {
            applied.metadata.name ??= name;
          }
          return applied;
        },
        { ...opts, skipFieldManager: true, createIfMissing: 'always' },
      );
      addWarnings(res, out.warnings);
      return renderObject(res, out.created ? 201 : 200, def, out.object, rendering, this.ctx.tables, q);
    }

    const out = await entry.store.update(
      ns,
      name,
      (cur) => {
        if (!cur) return undefined;
        const patched = this.ctx.svc.patcher.patch(type, def, cur, patch, sub);
        if (!isPlainObject(patched) || !isPlainObject(patched.metadata)) throw badRequest('the patch produced an object without metadata');
        checkPatched(patched);
        return patched;
      },
      { ...opts, createIfMissing: 'never' },
    );
    addWarnings(res, out.warnings);
    renderObject(res, 200, def, out.object, rendering, this.ctx.tables, q);
  }

  private async deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
    const opts: DeleteOptions = { dryRun: false };
    const raw = await readBody(req);
    if (raw.length) {
      const b = decodeBody(raw, mediaType(req) || 'application/json').value;
      if (!isPlainObject(b)) throw badRequest('DeleteOptions must be an object');
      if (typeof b.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = b.gracePeriodSeconds;
      if (typeof b.propagationPolicy === 'string') opts.propagationPolicy = b.propagationPolicy as DeleteOptions['propagationPolicy'];
      if (b.orphanDependents === true && !opts.propagationPolicy) opts.propagationPolicy = 'Orphan';
      if (b.orphanDependents === false && !opts.propagationPolicy) opts.propagationPolicy = 'Background';
      if (isPlainObject(b.preconditions)) opts.preconditions = b.preconditions as DeleteOptions['preconditions'];
      if (Array.isArray(b.dryRun) && b.dryRun.includes('All')) opts.dryRun = true;
    }
    const g = q.get('gracePeriodSeconds');
    if (g !== null) {
      if (!/^-?\d+$/.test(g)) throw badRequest(`invalid gracePeriodSeconds: ${g}`);
      opts.gracePeriodSeconds = Number(g);
    }
    const p = q.get('propagationPolicy');
    if (p !== null) opts.propagationPolicy = p as DeleteOptions['propagationPolicy'];
    if (q.get('orphanDependents') === 'true' && !opts.propagationPolicy) opts.propagationPolicy = 'Orphan';
    if (q.getAll('dryRun').includes('All')) opts.dryRun = true;
    if (opts.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy))
      throw new StatusError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`, {
        causes: [{ reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"` }],
      });
    if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) opts.gracePeriodSeconds = 1;
    return opts;
  }

  private async delete(req: IncomingMessage, res: ServerResponse, entry: ResourceEntry, ns: string | undefined, name: string, q: URLSearchParams, rendering: Rendering): Promise<void> {
    const opts = await this.deleteOptions(req, q);
    const out = await entry.store.delete(ns, name, opts);
    const def = entry.def;
    // Pods (and objects whose deletion is pending) come back as the object; other kinds as a Status.
    if (!out.deleted || (def.kind === 'Pod' && !def.group)) return renderObject(res, 200, def, out.object, rendering, this.ctx.tables, q);
    sendJson(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: def.group || undefined, kind: def.plural, uid: out.object.metadata.uid },
    });
  }

  private async deleteCollection(req: IncomingMessage, res: ServerResponse, entry: ResourceEntry, ns: string | undefined, q: URLSearchParams, rendering: Rendering): Promise<void> {
    const opts = await this.deleteOptions(req, q);
    const filter = new ObjectFilter(entry.def, this.ctx.svc, q.get('labelSelector') ?? '', q.get('fieldSelector') ?? '');
    const page = await listObjects(entry.def, { svc: this.ctx.svc, serve: (j) => j, parse: (j) => JSON.parse(j) as ApiObject }, { namespace: ns }, filter);
    const deleted: string[] = [];
    for (const json of page.items) {
      const obj = JSON.parse(json) as ApiObject;
      try {
        const out = await entry.store.delete(obj.metadata.namespace, obj.metadata.name!, opts);
        deleted.push(JSON.stringify(out.object));
      } catch (e) {
        if (e instanceof StatusError && e.code === 404) continue;
        throw e;
      }
    }
    renderList(res, entry.def, deleted, { resourceVersion: page.resourceVersion }, rendering, this.ctx.tables, q);
  }
}
