/** `metadata.managedFields` upkeep on every write, and server-side apply (../../api/patch/apply). */
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import { applyConflictError, serverSideApply } from '../../api/patch/apply/apply.js';
import { FieldSet, fieldToken } from '../../api/patch/apply/fieldset.js';
import { updateManagedFields } from '../../api/patch/apply/managed-fields.js';
import type { SchemaResolver } from '../../api/schema/schema-types.js';
import type { FieldManager } from '../registry/services.js';
import { patchSchemaFor } from './patcher.js';

export class ManagedFieldsManager implements FieldManager {
  constructor(private readonly resolver: SchemaResolver) {}

  private schemaOf(apiVersion: string, kind: string | undefined) {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    return patchSchemaFor(this.resolver, { group, version, kind: kind ?? '' } as ResourceDef);
  }

  update(old: ApiObject | undefined, obj: ApiObject, opts: { manager: string; apiVersion: string; subresource?: string; now: Date }): ApiObject {
    return updateManagedFields({
      live: old,
      object: obj,
      manager: opts.manager,
      apiVersion: opts.apiVersion,
      subresource: opts.subresource,
      schema: this.schemaOf(opts.apiVersion, obj.kind),
      now: opts.now,
    });
  }

  apply(live: ApiObject | undefined, config: ApiObject, opts: { manager: string; force: boolean; def: ResourceDef; apiVersion: string; subresource?: string; now: Date }): ApiObject {
    const r = serverSideApply({
      live,
      config,
      manager: opts.manager,
      force: opts.force,
      schema: patchSchemaFor(this.resolver, opts.def, opts.subresource),
      apiVersion: opts.apiVersion,
      now: opts.now,
      subresource: opts.subresource,
      resetFields: resetFields(opts.def, opts.subresource),
    });
    if (r.conflicts.length) throw applyConflictError(r.conflicts);
    return r.object;
  }
}

/** What an endpoint ignores (the strategies' GetResetFields): status on the main resource, spec on /status. */
function resetFields(def: ResourceDef, subresource?: string): FieldSet | undefined {
  if (!def.subresources.status) return undefined;
  return subresource === 'status' ? FieldSet.of([fieldToken('spec')]) : FieldSet.of([fieldToken('status')]);
}
