/**
 * The generic registry store: one CRUD engine for every resource, parameterised by its
 * ResourceDef and strategy (after k8s.io/apiserver/pkg/registry/generic/registry/store.go and
 * rest/create.go, rest/update.go). The order of the strategy hooks lives here and only here.
 *
 * Objects cross this boundary as plain JSON objects. Storage errors become Kubernetes Status
 * errors here, once.
 */
import {
  StatusError,
  alreadyExists,
  badRequest,
  conflict,
  invalidError,
  notFoundError,
  staleConflict,
  internal,
} from '../../api/errors.js';
import { type FieldError, invalid } from '../../api/field-errors.js';
import { type ApiObject, deepCopy, jsonEqual } from '../../api/object.js';
import { type ResourceDef, apiVersionOf, groupResource } from '../../api/resource.js';
import { validateNamespaceFinalize } from '../../api/strategies/cluster/namespace.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../api/validation/meta.js';
import { StorageError, type KeyValue } from '../../storage/store.js';
import { decodeStored, encodeForStorage } from './codec.js';
import { objectKey } from './keys.js';
import type { RegistryServices, WriteAllocations } from './services.js';

export interface WriteOptions {
  dryRun: boolean;
  /** `metadata.managedFields` owner for this write. */
  fieldManager: string;
  subresource?: string;
  /**
   * Leave managedFields to the caller: a server-side apply has computed them already, and a
   * pods/binding write is not tracked (upstream writes it to storage directly).
   */
  skipFieldManager?: boolean;
  /** Whether a missing object may be created: 'always' for apply, else the kind's create-on-update rule. */
  createIfMissing?: 'always' | 'kind' | 'never';
}

export interface DeleteOptions {
  dryRun: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface WriteResult {
  object: ApiObject;
  warnings: string[];
  /** True when the write created the object (201 rather than 200). */
  created?: boolean;
}

export interface DeleteResult {
  /** The object: as deleted, or as it now stands with deletionTimestamp set. */
  object: ApiObject;
  /** False when deletion is pending (finalizers, graceful pod deletion). */
  deleted: boolean;
}

/** An update computed from the current object; returning undefined means "not found". */
export type UpdateTransform = (current: ApiObject | undefined) => ApiObject | undefined;

/** Kinds whose PUT creates a missing object, as upstream's AllowCreateOnUpdate. */
const createOnUpdate = new Set(['/Endpoints', '/Event', 'events.k8s.io/Event', 'coordination.k8s.io/Lease', 'discovery.k8s.io/EndpointSlice', 'rbac.authorization.k8s.io/Role', 'rbac.authorization.k8s.io/RoleBinding', 'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding']);

const maxRetries = 16;
const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Everything but metadata and status: what a generation bump tracks. */
function specPart(obj: ApiObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** Equality that ignores resourceVersion and managedFields timestamps, to detect no-op writes. */
function sameObject(a: ApiObject, b: ApiObject): boolean {
  const strip = (o: ApiObject) => {
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata ?? {};
    return { ...o, metadata: meta };
  };
  return jsonEqual(strip(a), strip(b));
}

export class GenericStore {
  readonly gr: { group: string; resource: string };

  constructor(
    readonly def: ResourceDef,
    private readonly svc: RegistryServices,
  ) {
    this.gr = groupResource(def);
  }

  /** The kind's allocations (Service IPs and ports), looked up once the registry is assembled. */
  private get allocations(): WriteAllocations | undefined {
    return this.svc.allocations?.get(`${this.def.group}/${this.def.kind}`);
  }

  private key(ns: string | undefined, name: string): string {
    return objectKey(this.def, ns, name);
  }

  private translate(err: unknown, name: string): never {
    if (err instanceof StatusError) throw err;
    if (err instanceof StorageError) {
      switch (err.code) {
        case 'KeyExists':
          throw alreadyExists(this.gr, name);
        case 'KeyNotFound':
          throw notFoundError(this.gr, name);
        case 'Conflict':
          throw staleConflict(this.gr, name);
        case 'Compacted':
          throw new StatusError(410, 'Expired', err.message);
        default:
          throw internal(err.message);
      }
    }
    throw internal(err instanceof Error ? err.message : String(err));
  }

  /** Sets the apiVersion and kind this endpoint serves (conversion from storage when needed). */
  toServed(obj: ApiObject): ApiObject {
    const out = this.def.conversion ? (this.def.conversion.fromStorage(obj) as ApiObject) : obj;
    out.apiVersion = apiVersionOf(this.def);
    out.kind = this.def.kind;
    return out;
  }

  private toStorage(obj: ApiObject): ApiObject {
    return this.def.conversion ? (this.def.conversion.toStorage(obj) as ApiObject) : obj;
  }

  /**
   * The object as just written at `kv`'s revision. Without a conversion the in-memory object is
   * what storage holds (less undefined members, which no response carries), so it is not re-parsed.
   */
  private stored(written: ApiObject, kv: KeyValue): ApiObject {
    if (this.def.conversion) return this.toServed(decodeStored(kv));
    written.metadata.resourceVersion = String(kv.modRevision);
    return written;
  }

  private async readCurrent(ns: string | undefined, name: string): Promise<{ kv: KeyValue; obj: ApiObject } | undefined> {
    let kv: KeyValue | undefined;
    try {
      kv = await this.svc.store.get(this.key(ns, name));
    } catch (e) {
      this.translate(e, name);
    }
    return kv ? { kv, obj: this.toServed(decodeStored(kv)) } : undefined;
  }

  async get(ns: string | undefined, name: string): Promise<ApiObject> {
    const cur = await this.readCurrent(ns, name);
    if (!cur) throw notFoundError(this.gr, name);
    return cur.obj;
  }

  private invalid(name: string, errs: FieldError[]): StatusError {
    return invalidError({ group: this.def.group, kind: this.def.kind }, name, errs);
  }

  private metaErrors(obj: ApiObject): FieldError[] {
    return validateObjectMeta(obj.metadata, {
      namespaced: this.def.namespaced,
      nameValidator: this.def.strategy.nameValidator,
    });
  }

  private checkNamespace(obj: ApiObject, ns: string | undefined): void {
    const meta = (obj.metadata ??= {});
    if (this.def.namespaced) {
      if (meta.namespace && ns && meta.namespace !== ns)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      if (ns) meta.namespace = ns;
    } else {
      delete meta.namespace;
    }
  }

  /** rest.BeforeCreate + strategy hooks + validation; returns warnings. */
  private prepareCreate(obj: ApiObject): string[] {
    const meta = obj.metadata;
    const s = this.def.strategy;
    s.default?.(obj);
    meta.uid = this.svc.newUid();
    meta.creationTimestamp = rfc3339(this.svc.clock.now());
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    delete meta.selfLink;
    if (this.def.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    if (this.def.subresources.status && !s.keepsStatusOnCreate) obj.status = {};
    s.prepareForCreate?.(obj);
    const errs = [...this.metaErrors(obj), ...s.validate(obj)];
    if (errs.length) throw this.invalid(meta.name ?? '', errs);
    return s.warnings?.(obj) ?? [];
  }

  async create(ns: string | undefined, body: ApiObject, opts: WriteOptions): Promise<WriteResult> {
    this.checkNamespace(body, ns);
    // Strategies, validation and admission see the storage version (upstream's internal version).
    const obj = this.toStorage(body);
    const meta = obj.metadata;
    const generated = !meta.name && !!meta.generateName;
    for (let attempt = 0; ; attempt++) {
      if (generated) meta.name = `${meta.generateName}${this.svc.nameSuffix()}`;
      const warnings = this.prepareCreate(obj);
      await this.svc.admission.admit('CREATE', this.def, obj, undefined, { dryRun: opts.dryRun });
      const served = this.def.conversion ? this.toServed(deepCopy(obj)) : obj;
      const txn = await this.allocations?.beginCreate(served, { dryRun: opts.dryRun });
      const managed = opts.skipFieldManager ? served : this.svc.fieldManager.update(undefined, served, { manager: opts.fieldManager, apiVersion: apiVersionOf(this.def), now: this.svc.clock.now() });
      if (opts.dryRun) {
        await txn?.revert();
        return { object: managed, warnings, created: true };
      }
      try {
        const kv = await this.svc.store.create(this.key(meta.namespace, meta.name!), encodeForStorage(this.toStorage(managed)));
        await txn?.commit();
        return { object: this.stored(managed, kv), warnings, created: true };
      } catch (e) {
        await txn?.revert();
        if (generated && e instanceof StorageError && e.code === 'KeyExists' && attempt < 8) continue;
        if (generated && e instanceof StorageError && e.code === 'KeyExists')
          throw new StatusError(409, 'AlreadyExists', `${this.gr.group ? `${this.gr.resource}.${this.gr.group}` : this.gr.resource} "${meta.name}" already exists, the server was not able to generate a unique name for the object`, { name: meta.name, kind: this.gr.resource });
        this.translate(e, meta.name!);
      }
    }
  }

  /** Create a resource from the object an update produced, for kinds that allow create-on-update. */
  private async createFromUpdate(ns: string | undefined, obj: ApiObject, opts: WriteOptions): Promise<WriteResult> {
    return this.create(ns, obj, opts);
  }

  /**
   * The update engine shared by PUT, PATCH and status/scale writes: read, transform, prepare,
   * validate, write-if-unchanged; retried when storage reports a concurrent write and the caller
   * gave no resourceVersion of its own.
   */
  async update(ns: string | undefined, name: string, transform: UpdateTransform, opts: WriteOptions): Promise<WriteResult> {
    for (let attempt = 0; attempt < maxRetries; attempt++) {
      const cur = await this.readCurrent(ns, name);
      if (!cur) {
        const mode = opts.createIfMissing ?? 'kind';
        const allowCreate = !opts.subresource && (mode === 'always' || (mode === 'kind' && createOnUpdate.has(`${this.def.group}/${this.def.kind}`)));
        const created = allowCreate ? transform(undefined) : undefined;
        if (!created) throw notFoundError(this.gr, name);
        this.checkNamespace(created, ns);
        if (created.metadata.name !== name) throw badRequest(`the name of the object (${created.metadata.name}) does not match the name on the URL (${name})`);
        return this.createFromUpdate(ns, created, opts);
      }
      const old = cur.obj;
      const next = transform(deepCopy(old));
      if (!next) throw notFoundError(this.gr, name);
      this.checkNamespace(next, ns);
      const meta = (next.metadata ??= {});
      if (meta.name !== name) {
        if (!meta.name) throw this.invalid(name, [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }]);
        throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
      }
      const givenRv = meta.resourceVersion;
      if (givenRv !== undefined && givenRv !== '' && givenRv !== String(cur.kv.modRevision)) {
        if (!/^\d+$/.test(givenRv)) throw this.invalid(name, [invalid('metadata.resourceVersion', givenRv, 'must be a valid resource version')]);
        throw staleConflict(this.gr, name);
      }
      // As on create, the strategy and admission see both objects in the storage version.
      const next_ = this.toStorage(next);
      const old_ = this.def.conversion ? decodeStored(cur.kv) : old;
      const warnings = this.prepareUpdate(next_, old_, opts.subresource);
      await this.svc.admission.admit('UPDATE', this.def, next_, old_, { dryRun: opts.dryRun, subresource: opts.subresource });
      const prepared = this.def.conversion ? this.toServed(next_) : next_;
      const txn = opts.subresource ? undefined : await this.allocations?.beginUpdate(prepared, old, { dryRun: opts.dryRun });
      const done = await this.finishUpdate(ns, name, cur.kv, old, prepared, givenRv, warnings, opts).catch(async (e: unknown) => {
        await txn?.revert();
        throw e;
      });
      if (done === 'retry') {
        await txn?.revert();
        continue;
      }
      if (opts.dryRun || done.object === old) await txn?.revert();
      else await txn?.commit();
      return done;
    }
    throw conflict(this.gr, name, 'too many concurrent updates; please try again');
  }

  /** The write of an update computed by `update`: 'retry' when storage saw a concurrent write. */
  private async finishUpdate(
    ns: string | undefined,
    name: string,
    curKv: KeyValue,
    old: ApiObject,
    prepared: ApiObject,
    givenRv: string | undefined,
    warnings: string[],
    opts: WriteOptions,
  ): Promise<WriteResult | 'retry'> {
    const out = opts.skipFieldManager ? prepared : this.svc.fieldManager.update(old, prepared, { manager: opts.fieldManager, apiVersion: apiVersionOf(this.def), subresource: opts.subresource, now: this.svc.clock.now() });
    if (sameObject(out, old)) return { object: old, warnings };
    if (out.metadata.deletionTimestamp && !(out.metadata.finalizers ?? []).length && !this.hasPendingSpecFinalizers(out)) {
      // The last finalizer is gone: finish the deletion (registry store's "deleteWithoutFinalizers").
      if (opts.dryRun) return { object: out, warnings };
      try {
        await this.svc.store.delete(this.key(ns, name), curKv.modRevision);
        await this.allocations?.afterDelete(out);
        return { object: out, warnings };
      } catch (e) {
        if (e instanceof StorageError && e.code === 'Conflict' && !givenRv) return 'retry';
        this.translate(e, name);
      }
    }
    if (opts.dryRun) return { object: out, warnings };
    try {
      const kv = await this.svc.store.update(this.key(ns, name), encodeForStorage(this.toStorage(out)), curKv.modRevision);
      return { object: this.stored(out, kv), warnings };
    } catch (e) {
      if (e instanceof StorageError && e.code === 'Conflict' && !givenRv) return 'retry';
      if (e instanceof StorageError && e.code === 'KeyNotFound') throw notFoundError(this.gr, name);
      this.translate(e, name);
    }
  }

  /** Namespaces keep `spec.finalizers` until the namespace controller has emptied them. */
  private hasPendingSpecFinalizers(obj: ApiObject): boolean {
    return this.def.kind === 'Namespace' && !this.def.group && ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0;
  }

  /** rest.BeforeUpdate: carry identity over from old, run strategy hooks, validate. */
  private prepareUpdate(obj: ApiObject, old: ApiObject, subresource?: string): string[] {
    const s = this.def.strategy;
    const meta = obj.metadata;
    const oldMeta = old.metadata;
    // pods/binding: the transform was computed by the server itself (pod-subresources.ts).
    if (subresource === 'binding') return [];
    if (subresource === 'finalize') {
      // namespaces/finalize changes spec.finalizers and nothing else.
      const finalizers = (obj.spec as { finalizers?: string[] } | undefined)?.finalizers;
      const managedFields = meta.managedFields;
      Object.assign(obj, deepCopy(old));
      obj.spec = { ...((old.spec as Record<string, unknown> | undefined) ?? {}), finalizers };
      if (!finalizers) delete (obj.spec as Record<string, unknown>).finalizers;
      obj.metadata.managedFields = managedFields;
      const errs = validateNamespaceFinalize(obj);
      if (errs.length) throw this.invalid(meta.name ?? '', errs);
      return [];
    }
    if (subresource === 'status') {
      // Only status changes through /status; metadata (but managedFields) and spec stay as they were.
      const status = obj.status;
      const managedFields = meta.managedFields;
      Object.assign(obj, deepCopy({ ...old, status: undefined }));
      obj.status = status;
      obj.metadata.managedFields = managedFields;
      s.statusPrepareForUpdate?.(obj, old);
      const errs = s.statusValidateUpdate?.(obj, old) ?? [];
      if (errs.length) throw this.invalid(meta.name ?? '', errs);
      return [];
    }
    s.default?.(obj);
    if (!meta.uid) meta.uid = oldMeta.uid;
    meta.creationTimestamp = oldMeta.creationTimestamp;
    meta.deletionTimestamp = oldMeta.deletionTimestamp;
    meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    if (!meta.deletionTimestamp) delete meta.deletionTimestamp;
    if (meta.deletionGracePeriodSeconds === undefined) delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (this.def.tracksGeneration) {
      meta.generation = oldMeta.generation ?? 1;
      if (!jsonEqual(specPart(obj), specPart(old))) meta.generation += 1;
    } else if (oldMeta.generation !== undefined) meta.generation = oldMeta.generation;
    else delete meta.generation;
    if (this.def.subresources.status) {
      if (old.status === undefined) delete obj.status;
      else obj.status = deepCopy(old.status);
    }
    s.prepareForUpdate?.(obj, old);
    const errs = [...this.metaErrors(obj), ...validateObjectMetaUpdate(meta, oldMeta), ...s.validate(obj), ...(s.validateUpdate?.(obj, old) ?? [])];
    if (errs.length) throw this.invalid(meta.name ?? '', errs);
    return s.warnings?.(obj, old) ?? [];
  }

  /** PUT: replace the object with `body` (optimistic concurrency on its resourceVersion). */
  replace(ns: string | undefined, name: string, body: ApiObject, opts: WriteOptions): Promise<WriteResult> {
    return this.update(ns, name, () => deepCopy(body), opts).then((r) => r);
  }

  async delete(ns: string | undefined, name: string, opts: DeleteOptions): Promise<DeleteResult> {
    for (let attempt = 0; attempt < maxRetries; attempt++) {
      const cur = await this.readCurrent(ns, name);
      if (!cur) throw notFoundError(this.gr, name);
      const obj = deepCopy(cur.obj);
      const meta = obj.metadata;
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== meta.uid)
        throw conflict(this.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`);
      if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion)
        throw conflict(this.gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`);
      await this.svc.admission.admit('DELETE', this.def, obj, cur.obj, { dryRun: opts.dryRun });

      const pending = this.pendingDeletion(obj, opts);
      if (pending) {
        if (jsonEqual(obj, cur.obj) || opts.dryRun) return { object: obj, deleted: false };
        try {
          const kv = await this.svc.store.update(this.key(ns, name), encodeForStorage(this.toStorage(obj)), cur.kv.modRevision);
          return { object: this.toServed(decodeStored(kv)), deleted: false };
        } catch (e) {
          if (e instanceof StorageError && e.code === 'Conflict') continue;
          this.translate(e, name);
        }
      }
      if (opts.dryRun) return { object: cur.obj, deleted: true };
      try {
        const { prev, revision } = await this.svc.store.delete(this.key(ns, name), cur.kv.modRevision);
        const out = this.toServed(decodeStored({ value: prev.value, modRevision: revision }));
        await this.allocations?.afterDelete(out);
        return { object: out, deleted: true };
      } catch (e) {
        if (e instanceof StorageError && e.code === 'Conflict') continue;
        this.translate(e, name);
      }
    }
    throw conflict(this.gr, name, 'too many concurrent updates; please try again');
  }

  /**
   * Decides whether a delete only marks the object (BeforeDelete + finalizers): sets
   * deletionTimestamp and the propagation finalizers, and returns true while something must
   * still happen before the object can go.
   */
  private pendingDeletion(obj: ApiObject, opts: DeleteOptions): boolean {
    const meta = obj.metadata;
    const finalizers = new Set(meta.finalizers ?? []);
    const alreadyDeleting = !!meta.deletionTimestamp;
    if (!alreadyDeleting) {
      if (opts.propagationPolicy === 'Orphan') finalizers.add('orphan');
      if (opts.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
    }
    if (opts.propagationPolicy === 'Orphan' && finalizers.has('foregroundDeletion') && alreadyDeleting) {
      finalizers.delete('foregroundDeletion');
      finalizers.add('orphan');
    }
    const grace = this.gracePeriod(obj, opts);
    const specFinalizers = this.hasPendingSpecFinalizers(obj);
    if (finalizers.size === 0 && grace === 0 && !specFinalizers) return false;
    if (finalizers.size) meta.finalizers = [...finalizers];
    const now = this.svc.clock.now();
    if (!alreadyDeleting) {
      meta.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000));
      meta.deletionGracePeriodSeconds = grace;
      if (this.def.tracksGeneration && meta.generation) meta.generation += 1;
      if (specFinalizers) (obj.status ??= {} as Record<string, unknown>) && ((obj.status as Record<string, unknown>).phase = 'Terminating');
    } else if (grace > 0 && meta.deletionGracePeriodSeconds !== undefined && grace < meta.deletionGracePeriodSeconds) {
      // A shorter grace period may shorten a pending graceful deletion.
      meta.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000));
      meta.deletionGracePeriodSeconds = grace;
    } else if (grace === 0 && meta.deletionGracePeriodSeconds && finalizers.size === 0 && !specFinalizers) {
      return false;
    }
    return true;
  }

  /** Graceful deletion applies to pods that a node runs (pkg/registry/core/pod strategy CheckGracefulDelete). */
  private gracePeriod(obj: ApiObject, opts: DeleteOptions): number {
    if (this.def.kind !== 'Pod' || this.def.group) return 0;
    const spec = obj.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
    const phase = (obj.status as { phase?: string } | undefined)?.phase;
    if (!spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    const g = opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, g);
  }
}
