/**
 * The Gateway controller: creates the GatewayClass `capstan` (controllerName
 * `capstan.io/gateway-controller`) when it starts, recompiles everything on any change of the objects it
 * reads (compile.ts), writes the statuses that changed, records a Warning event on a route when a
 * new problem appears (a match shadowed by an older route's), and hands the RouteTable listeners
 * to `onTable` whenever they change (the HTTP proxy engine serves them).
 */
import type { Namespace, Secret, Service } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { jsonEqual } from '../../api/object.js';
import type { Gateway, GatewayClass, HTTPRoute, ReferenceGrant } from '../../api/strategies/gateway/types.js';
import { gatewayApiGroup, gatewayApiVersion } from '../../api/strategies/gateway/types.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import type { ResourceRef } from '../../client/resource-path.js';
import { Controller } from '../../controllers/controller.js';
import type { ControllerContext, RunnableController } from '../../controllers/context.js';
import type { Listener } from '../l7/route-table.js';
import { compileGateways } from './compile.js';
import { defaultControllerName, defaultGatewayClassName, type GatewayOutput } from './model.js';

export const gatewayRefs = {
  gatewayclasses: { group: gatewayApiGroup, version: 'v1', plural: 'gatewayclasses', namespaced: false },
  gateways: { group: gatewayApiGroup, version: 'v1', plural: 'gateways', namespaced: true },
  httproutes: { group: gatewayApiGroup, version: 'v1', plural: 'httproutes', namespaced: true },
  referencegrants: { group: gatewayApiGroup, version: 'v1beta1', plural: 'referencegrants', namespaced: true },
} as const satisfies Record<string, ResourceRef>;

export interface GatewayControllerOptions {
  /** Address gateway listeners bind; default 127.0.0.1. */
  bindAddress?: string;
  /** Address written to Gateway status; default the bind address. */
  statusAddress?: string;
  /** Receives the listeners every time they change. */
  onTable?: (listeners: Listener[]) => void;
  controllerName?: string;
  /** The GatewayClass created at start (empty: none). */
  className?: string;
}

const key = 'gateway-api';

export function createGatewayController(ctx: ControllerContext, opts: GatewayControllerOptions = {}): RunnableController {
  const controllerName = opts.controllerName ?? defaultControllerName;
  const className = opts.className ?? defaultGatewayClassName;
  const bindAddress = opts.bindAddress ?? '127.0.0.1';
  const statusAddress = opts.statusAddress ?? bindAddress;
  const classes = ctx.informers.informerFor<ApiObject>(gatewayRefs.gatewayclasses);
  const gateways = ctx.informers.informerFor<ApiObject>(gatewayRefs.gateways);
  const routes = ctx.informers.informerFor<ApiObject>(gatewayRefs.httproutes);
  const grants = ctx.informers.informerFor<ApiObject>(gatewayRefs.referencegrants);
  const services = ctx.informers.informerFor<ApiObject>(builtinRefs.services);
  const secrets = ctx.informers.informerFor<ApiObject>(builtinRefs.secrets);
  const namespaces = ctx.informers.informerFor<ApiObject>(builtinRefs.namespaces);
  let lastTable: Listener[] | undefined;
  /** Route warnings already recorded as events (`ns/name reason message`), so that each is recorded once while it lasts. */
  let reported = new Set<string>();
  // The class is created once per start; one a user deletes later stays deleted until the next start.
  let classEnsured = !className;

  async function writeStatus<T extends ApiObject>(ref: ResourceRef, current: ApiObject | undefined, status: unknown, signal: AbortSignal): Promise<void> {
    if (!current || jsonEqual((current as { status?: unknown }).status ?? null, status)) return;
    try {
      await ctx.client.updateStatus<T>(ref, { ...current, status } as unknown as T, { signal });
    } catch (e) {
      // Deleted meanwhile: nothing to report. Conflicts retry through the queue.
      if (isStatusError(e) && e.code === 404) return;
      throw e;
    }
  }

  const controller = new Controller({
    name: 'gateway',
    informers: [classes, gateways, routes, grants, services, secrets, namespaces],
    workers: 1,
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(_key, signal) {
      if (!classEnsured && !classes.get(className)) {
        const gc: GatewayClass = { apiVersion: gatewayApiVersion, kind: 'GatewayClass', metadata: { name: className }, spec: { controllerName } };
        try {
          await ctx.client.create(gatewayRefs.gatewayclasses, gc as unknown as ApiObject, { signal });
        } catch (e) {
          if (!(isStatusError(e) && e.code === 409)) throw e;
        }
      }
      classEnsured = true;
      const out = compileGateways({
        controllerName,
        bindAddress,
        statusAddress,
        gatewayClasses: classes.list() as unknown as GatewayClass[],
        gateways: gateways.list() as unknown as Gateway[],
        httpRoutes: routes.list() as unknown as HTTPRoute[],
        services: services.list() as unknown as Service[],
        secrets: secrets.list() as unknown as Secret[],
        namespaces: namespaces.list() as unknown as Namespace[],
        referenceGrants: grants.list() as unknown as ReferenceGrant[],
        now: new Date(ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
      if (!lastTable || !jsonEqual(lastTable, out.listeners)) {
        lastTable = out.listeners;
        opts.onTable?.(out.listeners);
      }
      for (const c of out.gatewayClasses) await writeStatus(gatewayRefs.gatewayclasses, classes.get(c.name), c.status, signal);
      for (const g of out.gateways) await writeStatus(gatewayRefs.gateways, gateways.get(`${g.namespace}/${g.name}`), g.status, signal);
      for (const r of out.httpRoutes) await writeStatus(gatewayRefs.httproutes, routes.get(`${r.namespace}/${r.name}`), r.status, signal);
      reportRouteProblems(out.routeProblems);
    },
  });
  function reportRouteProblems(problems: GatewayOutput['routeProblems']): void {
    const now = new Set<string>();
    for (const p of problems) {
      const id = `${p.namespace}/${p.name} ${p.reason} ${p.message}`;
      now.add(id);
      if (reported.has(id)) continue;
      const route = routes.get(`${p.namespace}/${p.name}`);
      if (route) ctx.recorder.event(route, 'Warning', p.reason, p.message);
      ctx.logger.warn('httproute problem', { route: `${p.namespace}/${p.name}`, reason: p.reason, message: p.message });
    }
    reported = now;
  }

  const enqueue = () => controller.enqueue(key);
  const onSecret = (s: ApiObject) => {
    if ((s as Secret).type === 'kubernetes.io/tls') enqueue();
  };
  for (const inf of [classes, gateways, routes, grants, services, namespaces]) inf.addEventHandler({ onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue });
  secrets.addEventHandler({ onAdd: onSecret, onUpdate: (o, n) => (onSecret(o), onSecret(n)), onDelete: onSecret });
  return controller;
}
