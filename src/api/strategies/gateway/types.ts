/**
 * TypeScript shapes of the Gateway API v1 kinds Capstan serves (gateway.networking.k8s.io/v1,
 * standard channel v1.2): the fields the strategies and the Gateway controller read and write.
 */
import type { Condition, LabelSelector, ObjectMeta } from 'kubernetes-types/meta/v1.js';

export const gatewayApiGroup = 'gateway.networking.k8s.io';
export const gatewayApiVersion = `${gatewayApiGroup}/v1`;

export interface GatewayClass {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: { controllerName?: string; description?: string; parametersRef?: { group?: string; kind?: string; name?: string; namespace?: string } };
  status?: { conditions?: Condition[]; supportedFeatures?: { name: string }[] };
}

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface RouteGroupKind {
  group?: string;
  kind?: string;
}

export interface GatewayListener {
  name?: string;
  hostname?: string;
  port?: number;
  protocol?: string;
  tls?: { mode?: string; certificateRefs?: SecretObjectReference[]; options?: Record<string, string> };
  allowedRoutes?: { namespaces?: { from?: string; selector?: LabelSelector }; kinds?: RouteGroupKind[] };
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  attachedRoutes: number;
  conditions: Condition[];
}

export interface GatewayStatus {
  addresses?: { type?: string; value: string }[];
  conditions?: Condition[];
  listeners?: ListenerStatus[];
}

export interface Gateway {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    gatewayClassName?: string;
    listeners?: GatewayListener[];
    addresses?: { type?: string; value?: string }[];
    infrastructure?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  };
  status?: GatewayStatus;
}

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  sectionName?: string;
  port?: number;
}

export interface BackendObjectReference {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  port?: number;
}

export interface HTTPHeader {
  name?: string;
  value?: string;
}

export interface HTTPHeaderFilter {
  set?: HTTPHeader[];
  add?: HTTPHeader[];
  remove?: string[];
}

export interface HTTPPathModifier {
  type?: string;
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRouteFilter {
  type?: string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestMirror?: { backendRef?: BackendObjectReference };
  requestRedirect?: { scheme?: string; hostname?: string; path?: HTTPPathModifier; port?: number; statusCode?: number };
  urlRewrite?: { hostname?: string; path?: HTTPPathModifier };
  extensionRef?: { group?: string; kind?: string; name?: string };
}

export interface HTTPValueMatch {
  type?: string;
  name?: string;
  value?: string;
}

export interface HTTPRouteMatch {
  path?: { type?: string; value?: string };
  headers?: HTTPValueMatch[];
  queryParams?: HTTPValueMatch[];
  method?: string;
}

export interface HTTPBackendRef extends BackendObjectReference {
  weight?: number;
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteRule {
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  timeouts?: { request?: string; backendRequest?: string };
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface HTTPRoute {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: { parentRefs?: ParentReference[]; hostnames?: string[]; rules?: HTTPRouteRule[] };
  status?: { parents?: RouteParentStatus[] };
}

/** gateway.networking.k8s.io/v1beta1 ReferenceGrant. */
export interface ReferenceGrant {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: { from?: { group?: string; kind?: string; namespace?: string }[]; to?: { group?: string; kind?: string; name?: string }[] };
}
