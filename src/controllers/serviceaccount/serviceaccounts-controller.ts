/**
 * The ServiceAccounts controller (`pkg/controller/serviceaccount/serviceaccounts_controller.go`):
 * every namespace that is not terminating has the `default` ServiceAccount. A deleted `default`
 * account is recreated; existing accounts are never changed.
 */
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceRef } from '../../client/resource-path.js';
import { Controller } from '../controller.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { builtinRefs } from '../../client/builtin-refs.js';

export const namespacesResource: ResourceRef = builtinRefs.namespaces;
export const serviceAccountsResource: ResourceRef = builtinRefs.serviceaccounts;

/** The accounts every namespace gets (upstream's DefaultServiceAccountsControllerOptions). */
export const defaultServiceAccounts = ['default'];

/** The accounts to create in `ns`, given the names that exist there. Terminating namespaces get none. */
export function missingServiceAccounts(ns: Namespace | undefined, existing: ReadonlySet<string>, wanted: readonly string[] = defaultServiceAccounts): string[] {
  if (!ns || ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') return [];
  return wanted.filter((n) => !existing.has(n));
}

export function createServiceAccountController(ctx: ControllerContext): RunnableController {
  const namespaces = ctx.informers.informerFor<ApiObject>(namespacesResource);
  const accounts = ctx.informers.informerFor<ApiObject>(serviceAccountsResource);
  const controller = new Controller({
    name: 'serviceaccount',
    informers: [namespaces, accounts],
    workers: 1,
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key, signal) {
      const ns = namespaces.get(key) as Namespace | undefined;
      const existing = new Set(accounts.byIndex('namespace', key).map((a) => a.metadata.name ?? ''));
      for (const name of missingServiceAccounts(ns, existing)) {
        const sa: ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: key } };
        try {
          await ctx.client.create(serviceAccountsResource, sa as ApiObject, { signal });
        } catch (e) {
          // Someone else created it, or the namespace started terminating: nothing to do.
          if (isStatusError(e) && (e.code === 409 || e.code === 403 || e.code === 404)) continue;
          throw e;
        }
      }
    },
  });
  namespaces.addEventHandler({ onAdd: (ns) => controller.enqueue(ns), onUpdate: (_o, ns) => controller.enqueue(ns) });
  accounts.addEventHandler({
    onDelete: (sa) => {
      if (defaultServiceAccounts.includes(sa.metadata.name ?? '') && sa.metadata.namespace) controller.enqueue(sa.metadata.namespace);
    },
  });
  return controller;
}
