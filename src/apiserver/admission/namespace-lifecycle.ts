/**
 * The NamespaceLifecycle admission plugin (plugin/pkg/admission/namespace/lifecycle): no new
 * objects in a missing or terminating namespace, and the system namespaces cannot be deleted.
 */
import { StatusError, notFoundError, qualifiedResource } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import type { Admission, Operation } from '../registry/services.js';

export const immortalNamespaces = new Set(['default', 'kube-system', 'kube-public']);

export class NamespaceLifecycle implements Admission {
  constructor(private readonly getNamespace: (name: string) => Promise<ApiObject | undefined>) {}

  async admit(op: Operation, def: ResourceDef, obj: ApiObject, _old: ApiObject | undefined): Promise<void> {
    const gr = { group: def.group, resource: def.plural };
    if (def.kind === 'Namespace' && !def.group) {
      if (op === 'DELETE' && immortalNamespaces.has(obj.metadata.name ?? ''))
        throw new StatusError(403, 'Forbidden', `namespaces "${obj.metadata.name}" is forbidden: this namespace may not be deleted`, { name: obj.metadata.name, kind: 'namespaces' });
      return;
    }
    if (op !== 'CREATE' || !def.namespaced) return;
    const nsName = obj.metadata.namespace ?? '';
    const ns = await this.getNamespace(nsName);
    if (!ns) throw notFoundError({ group: '', resource: 'namespaces' }, nsName);
    const terminating = !!ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating';
    // Events about a namespace's teardown are still accepted, as upstream does.
    if (terminating && !(def.kind === 'Event'))
      throw new StatusError(
        403,
        'Forbidden',
        `${qualifiedResource(gr)} "${obj.metadata.name ?? ''}" is forbidden: unable to create new content in namespace ${nsName} because it is being terminated`,
        { name: obj.metadata.name, group: def.group || undefined, kind: def.plural, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${nsName} is being terminated`, field: 'metadata.namespace' }] },
      );
  }
}

/** Runs admission plugins in order. */
export class AdmissionChain implements Admission {
  constructor(private readonly plugins: Admission[]) {}
  async admit(...args: Parameters<Admission['admit']>): Promise<void> {
    for (const p of this.plugins) await p.admit(...args);
  }
}
