/**
 * Namespaces: pkg/registry/core/namespace/strategy.go, SetDefaults_Namespace (core/v1 defaults.go)
 * and ValidateNamespace* (core validation).
 */
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { type FieldError, invalid } from '../../field-errors.js';
import type { ApiObject } from '../../object.js';
import { isDNS1123Label, isQualifiedName } from '../../validation/names.js';
import { type ClusterStrategy, root } from './util.js';

const kubernetesFinalizer = 'kubernetes';
const metadataNameLabel = 'kubernetes.io/metadata.name';
const standardFinalizers = new Set([kubernetesFinalizer, 'orphan', 'foregroundDeletion']);

/** Every named namespace carries `kubernetes.io/metadata.name: <name>` (set on every write). */
function setNameLabel(obj: ApiObject): void {
  const name = obj.metadata.name;
  if (!name) return;
  obj.metadata.labels = { ...(obj.metadata.labels ?? {}), [metadataNameLabel]: name };
}

type MutableNamespace = { spec?: { finalizers?: string[] }; status?: { phase?: string } };

function validateFinalizerName(name: string, path: ReturnType<typeof root>): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (!name.includes('/') && !standardFinalizers.has(name))
    errs.push(invalid(path, name, 'name is neither a standard finalizer name nor is it fully qualified'));
  return errs;
}

export const namespaceStrategy: ClusterStrategy = {
  nameValidator: isDNS1123Label,
  default(obj) {
    setNameLabel(obj);
  },
  prepareForCreate(obj) {
    const ns = obj as unknown as MutableNamespace;
    ns.status = { phase: 'Active' };
    ns.spec ??= {};
    const fins = ns.spec.finalizers ?? [];
    if (!fins.includes(kubernetesFinalizer)) ns.spec.finalizers = [...fins, kubernetesFinalizer];
    // generateName has been resolved by now: label the final name.
    setNameLabel(obj);
  },
  prepareForUpdate(obj, old) {
    const ns = obj as unknown as MutableNamespace;
    const prev = old as unknown as MutableNamespace;
    // Finalizers change only through the /finalize subresource.
    ns.spec = { ...(ns.spec ?? {}), finalizers: prev.spec?.finalizers };
    if (ns.spec.finalizers === undefined) delete ns.spec.finalizers;
  },
  validate(obj) {
    const ns = obj as unknown as Namespace;
    const errs: FieldError[] = [];
    for (const f of ns.spec?.finalizers ?? []) errs.push(...validateFinalizerName(f, root('spec').child('finalizers')));
    return errs;
  },
  statusValidateUpdate(obj) {
    const ns = obj as unknown as Namespace;
    const phase = ns.status?.phase ?? '';
    if (!obj.metadata.deletionTimestamp) {
      if (phase !== 'Active') return [invalid(root('status').child('Phase'), phase, "may only be 'Active' if `deletionTimestamp` is empty")];
    } else if (phase !== 'Terminating') {
      return [invalid(root('status').child('Phase'), phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")];
    }
    return [];
  },
};

/** ValidateNamespaceFinalizeUpdate, for the lead's `namespaces/finalize` subresource. */
export function validateNamespaceFinalize(obj: ApiObject): FieldError[] {
  const ns = obj as unknown as Namespace;
  const errs: FieldError[] = [];
  (ns.spec?.finalizers ?? []).forEach((f, i) => errs.push(...validateFinalizerName(f, root('spec').child('finalizers').index(i))));
  return errs;
}
