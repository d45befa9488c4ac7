/**
 * Inputs and outputs of the Gateway API compilation (see compile.ts): the objects it reads, the
 * statuses it decides, and the evaluated listeners shared by the gateway and route steps.
 */
import type { Namespace, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { Gateway, GatewayClass, GatewayListener, GatewayStatus, HTTPRoute, ReferenceGrant, RouteGroupKind, RouteParentStatus } from '../../api/strategies/gateway/types.js';
import type { Listener, TlsCertificate } from '../l7/route-table.js';

export const defaultControllerName = 'capstan.io/gateway-controller';
export const defaultGatewayClassName = 'capstan';

export interface GatewayInput {
  /** The controllerName this implementation answers for. */
  controllerName: string;
  /** The address gateway listeners bind (the server's bind address). */
  bindAddress: string;
  /** The address written to Gateway status (the bind address unless it is a wildcard). */
  statusAddress: string;
  gatewayClasses: readonly GatewayClass[];
  gateways: readonly Gateway[];
  httpRoutes: readonly HTTPRoute[];
  services: readonly Service[];
  secrets: readonly Secret[];
  namespaces: readonly Namespace[];
  /** gateway.networking.k8s.io/v1beta1 ReferenceGrants (cross-namespace backends and certificates). */
  referenceGrants?: readonly ReferenceGrant[];
  /** RFC 3339 time for new condition transitions. */
  now: string;
}

export interface GatewayOutput {
  gatewayClasses: { name: string; status: NonNullable<GatewayClass['status']> }[];
  gateways: { namespace: string; name: string; status: GatewayStatus }[];
  /** Whole `status.parents` lists (entries of other controllers kept). */
  httpRoutes: { namespace: string; name: string; status: { parents: RouteParentStatus[] } }[];
  listeners: Listener[];
  /** Warnings to record as events on routes (a match shadowed by another route's: reason `Conflict`). */
  routeProblems: { namespace: string; name: string; reason: string; message: string }[];
}

/** One listener of a Gateway of ours, after evaluation. */
export interface EvaluatedListener {
  gateway: Gateway;
  spec: GatewayListener;
  /** Accepted and Programmed: routes may attach and traffic is served. */
  ready: boolean;
  supportedKinds: RouteGroupKind[];
  certificates: TlsCertificate[];
  /** Set by the route step. */
  attachedRoutes: number;
}

export const objKey = (o: { metadata?: { namespace?: string; name?: string } }): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** What backend references resolve against. */
export interface BackendIndex {
  services: ReadonlyMap<string, Service>;
  grants: readonly ReferenceGrant[];
}
