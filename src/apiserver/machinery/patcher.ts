/** JSON, merge and strategic merge patches, with kube-apiserver's Status for each failure. */
import { StatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import { applyJsonPatch } from '../../api/patch/json-patch.js';
import { applyMergePatch } from '../../api/patch/merge-patch.js';
import { jsonPatchStatusError, PatchError } from '../../api/patch/patch-error.js';
import type { PatchSchema, PatchSchemaNode } from '../../api/patch/patch-schema.js';
import { applyStrategicMergePatch, isUnprocessableStrategicPatchError } from '../../api/patch/strategic-merge-patch.js';
import type { SchemaNode, SchemaResolver } from '../../api/schema/schema-types.js';
import type { Patcher } from '../registry/services.js';

/** The patch schema of a kind, or of autoscaling/v1 Scale for the scale subresource. */
export function patchSchemaFor(resolver: SchemaResolver, def: ResourceDef, subresource?: string): PatchSchema {
  const root = subresource === 'scale' ? resolver.forKind('autoscaling', 'v1', 'Scale') : resolver.forKind(def.group, def.version, def.kind);
  return { root, resolve: (n) => resolver.resolve(n as SchemaNode) as PatchSchemaNode };
}

export class SchemaPatcher implements Patcher {
  constructor(private readonly resolver: SchemaResolver) {}

  patch(type: 'json' | 'merge' | 'strategic', def: ResourceDef, original: ApiObject, patch: unknown, subresource?: string): ApiObject {
    try {
      switch (type) {
        case 'json':
          return applyJsonPatch(original, patch);
        case 'merge':
          return applyMergePatch(original, patch);
        case 'strategic':
          return applyStrategicMergePatch(original, patch, patchSchemaFor(this.resolver, def, subresource));
      }
    } catch (e) {
      if (!(e instanceof PatchError)) throw e;
      if (type === 'json') throw jsonPatchStatusError(e);
      if (e.kind === 'decode') throw new StatusError(400, 'BadRequest', e.message);
      if (type === 'strategic' && isUnprocessableStrategicPatchError(e)) throw new StatusError(422, 'Invalid', e.message);
      throw new StatusError(500, 'InternalError', `Internal error occurred: ${e.message}`, { causes: [{ message: e.message }] });
    }
  }
}
