/**
 * The pod subresources that act rather than store: `pods/binding` (the scheduler's write, after
 * pkg/registry/core/pod/storage BindingREST) and `pods/eviction` (policy/v1 Eviction honouring
 * PodDisruptionBudgets, after pkg/registry/core/pod/storage/eviction.go).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { StatusError, badRequest, conflict, invalidError, notFoundError } from '../../api/errors.js';
import { type ApiObject, deepCopy, isPlainObject } from '../../api/object.js';
import { selectorFromLabelSelector } from '../../api/labels.js';
import type { DeleteOptions, GenericStore } from '../registry/generic-store.js';
import { listPrefix } from '../registry/keys.js';
import type { ResourceRegistry } from '../registry/resource-registry.js';
import type { RegistryServices } from '../registry/services.js';
import { decodeStored } from '../registry/codec.js';

const podsGR = { group: '', resource: 'pods' };
const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export const successStatus = (code = 201) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code });

/** Assigns a pod to a node: sets spec.nodeName, binding annotations and PodScheduled=True. */
export async function bindPod(pods: GenericStore, svc: RegistryServices, ns: string, podName: string, binding: ApiObject, fieldManager: string, dryRun: boolean): Promise<void> {
  const target = (binding.target ?? {}) as { kind?: string; name?: string };
  if (binding.metadata?.name && binding.metadata.name !== podName) throw badRequest(`name in URL (${podName}) does not match name in Binding (${binding.metadata.name})`);
  const errs = [];
  if (!target.name) errs.push({ type: 'FieldValueRequired' as const, field: 'target.name' });
  if (target.kind && target.kind !== 'Node') errs.push({ type: 'FieldValueNotSupported' as const, field: 'target.kind', value: target.kind, detail: 'supported values: "Node"' });
  if (errs.length) throw invalidError({ group: '', kind: 'Binding' }, podName, errs);
  await pods.update(
    ns,
    podName,
    (cur) => {
      if (!cur) return undefined;
      const pod = cur as unknown as Pod;
      if (pod.metadata?.deletionTimestamp) throw conflict(podsGR, podName, `pod ${podName} is being deleted, cannot be assigned to a host`);
      if (pod.spec?.nodeName) throw conflict(podsGR, podName, `pod ${podName} is already assigned to node "${pod.spec.nodeName}"`);
      if ((pod.spec?.schedulingGates ?? []).length) throw conflict(podsGR, podName, `pod ${podName} has non-empty .spec.schedulingGates`);
      const next = deepCopy(cur);
      (next.spec as { nodeName?: string }).nodeName = target.name;
      const annotations = binding.metadata?.annotations ?? {};
      if (Object.keys(annotations).length) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), ...annotations };
      const status = ((next.status ??= {}) as { conditions?: { type: string; status: string; lastTransitionTime?: string | null; lastProbeTime?: null }[] });
      const conditions = (status.conditions ??= []);
      const now = rfc3339(svc.clock.now());
      const existing = conditions.find((c) => c.type === 'PodScheduled');
      if (existing) {
        if (existing.status !== 'True') existing.lastTransitionTime = now;
        existing.status = 'True';
        delete (existing as Record<string, unknown>).reason;
        delete (existing as Record<string, unknown>).message;
      } else conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now });
      return next;
    },
    { dryRun, fieldManager, subresource: 'binding', createIfMissing: 'never', skipFieldManager: true },
  );
}

/** The PDBs in `ns` whose selector matches the pod's labels. */
async function matchingBudgets(registry: ResourceRegistry, svc: RegistryServices, pod: Pod): Promise<PodDisruptionBudget[]> {
  const entry = registry.lookup('policy', 'v1', 'poddisruptionbudgets');
  if (!entry) return [];
  const { items } = await svc.store.list(listPrefix(entry.def, pod.metadata?.namespace));
  const labels = pod.metadata?.labels ?? {};
  return items
    .map((kv) => decodeStored(kv) as unknown as PodDisruptionBudget)
    .filter((pdb) => {
      const sel = selectorFromLabelSelector(pdb.spec?.selector);
      return !sel.empty() && sel.matches(labels);
    });
}

const tooManyRequests = (message: string, causes?: { reason: string; message: string }[]) =>
  new StatusError(429, 'TooManyRequests', message, causes ? { causes } : undefined);

/**
 * Evicts a pod: a delete that first takes one disruption from the pod's PodDisruptionBudget,
 * refusing with 429 when the budget allows none.
 */
export async function evictPod(registry: ResourceRegistry, svc: RegistryServices, ns: string, podName: string, eviction: ApiObject, dryRun: boolean): Promise<void> {
  const pods = registry.lookup('', 'v1', 'pods')!.store;
  if (eviction.metadata?.name && eviction.metadata.name !== podName) throw badRequest(`name in URL does not match name in Eviction object`);
  const pod = (await pods.get(ns, podName)) as unknown as Pod;
  const deleteOptions = (isPlainObject(eviction.deleteOptions) ? eviction.deleteOptions : {}) as { gracePeriodSeconds?: number; preconditions?: DeleteOptions['preconditions']; dryRun?: string[] };
  const opts: DeleteOptions = { dryRun: dryRun || (deleteOptions.dryRun ?? []).includes('All'), gracePeriodSeconds: deleteOptions.gracePeriodSeconds, preconditions: deleteOptions.preconditions };
  const phase = pod.status?.phase;
  // Terminal pods, pods already being deleted, and pods that never ran are not "disruptions".
  const needsBudget = !(phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata?.deletionTimestamp);
  if (needsBudget) {
    const budgets = await matchingBudgets(registry, svc, pod);
    if (budgets.length > 1) throw new StatusError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    if (budgets.length === 1) {
      const pdb = budgets[0];
      const name = pdb.metadata?.name ?? '';
      if ((pdb.status?.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0))
        throw tooManyRequests(`Cannot evict pod as it would violate the pod's disruption budget. The disruption budget ${name} is still being processed by the server.`, [{ reason: 'DisruptionBudget', message: `The disruption budget ${name} is still being processed by the server.` }]);
      const allowed = pdb.status?.disruptionsAllowed ?? 0;
      if (allowed <= 0)
        throw tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", [
          { reason: 'DisruptionBudget', message: `The disruption budget ${name} needs ${pdb.status?.desiredHealthy ?? 0} healthy pods and has ${pdb.status?.currentHealthy ?? 0} currently` },
        ]);
      if (!opts.dryRun) {
        const pdbs = registry.lookup('policy', 'v1', 'poddisruptionbudgets')!.store;
        await pdbs.update(
          ns,
          name,
          (cur) => {
            if (!cur) return undefined;
            const next = deepCopy(cur) as unknown as PodDisruptionBudget & ApiObject;
            const st = (next.status ??= { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 }) as NonNullable<PodDisruptionBudget['status']> & { disruptedPods?: Record<string, string>; disruptionsAllowed: number };
            if (st.disruptionsAllowed <= 0) throw tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.");
            st.disruptionsAllowed -= 1;
            st.disruptedPods = { ...(st.disruptedPods ?? {}), [podName]: rfc3339(svc.clock.now()) };
            return next;
          },
          { dryRun: false, fieldManager: 'capstan-eviction', subresource: 'status', createIfMissing: 'never' },
        );
      }
    }
  }
  try {
    await pods.delete(ns, podName, opts);
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) throw notFoundError(podsGR, podName);
    throw e;
  }
}
