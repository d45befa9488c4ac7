/**
 * The API schema of the Gateway API kinds Capstan serves natively (gateway.networking.k8s.io/v1
 * GatewayClass, Gateway, HTTPRoute, standard channel v1.2), written for this project field by
 * field from the specification. Upstream publishes these kinds as CRDs, whose OpenAPI definitions
 * kube-apiserver names after the reversed group (`io.k8s.networking.gateway.v1.Gateway`); the same
 * names are used here. Defaulting and CEL-style validation live in the strategies
 * (src/api/strategies/gateway/); `default`, enums and limits here document them for `kubectl explain`.
 */
import type { Definitions, SchemaNode } from './schema-types.js';

export const gatewayGroup = 'gateway.networking.k8s.io';
export const gatewayDefinitionPrefix = 'io.k8s.networking.gateway.v1';

const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const d = (name: string): string => `${gatewayDefinitionPrefix}.${name}`;
const ref = (name: string, description?: string): SchemaNode => ({ ...(description ? { description } : {}), $ref: `#/definitions/${name}` });
const local = (name: string, description?: string): SchemaNode => ref(d(name), description);
const str = (description: string, extra: Partial<SchemaNode> = {}): SchemaNode => ({ description, type: 'string', ...extra });
const int32 = (description: string, extra: Partial<SchemaNode> = {}): SchemaNode => ({ description, type: 'integer', format: 'int32', ...extra });
const list = (description: string, items: SchemaNode, ext: Partial<SchemaNode> = { 'x-kubernetes-list-type': 'atomic' }): SchemaNode => ({ description, type: 'array', items, ...ext });
const mapList = (description: string, items: SchemaNode, ...keys: string[]): SchemaNode =>
  list(description, items, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys });
const obj = (description: string, properties: Record<string, SchemaNode>, required?: string[]): SchemaNode => ({
  description,
  type: 'object',
  properties,
  ...(required ? { required } : {}),
});

const hostname = (description: string): SchemaNode => str(`${description} A DNS name, optionally with a leading '*.' wildcard label; IP addresses are not allowed.`);
const group = (description: string, def?: string): SchemaNode => str(description, def !== undefined ? { default: def } : {});
const conditions = (description: string): SchemaNode => ({
  ...mapList(description, ref(`${meta}.Condition`), 'type'),
  'x-kubernetes-patch-strategy': 'merge',
  'x-kubernetes-patch-merge-key': 'type',
});
const headerModifierItem = obj('An HTTP header name and value.', { name: str('Header name, case-insensitive.'), value: str('Header value.') }, ['name', 'value']);

/** A top-level kind and its list. */
function kind(name: string, description: string, properties: Record<string, SchemaNode>, required: string[], version = 'v1'): Definitions {
  const gvk = (k: string) => [{ group: gatewayGroup, version, kind: k }];
  const d = (n: string): string => `io.k8s.networking.gateway.${version}.${n}`;
  const local = (n: string, description?: string): SchemaNode => ref(d(n), description);
  const common = {
    apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
    kind: str('Kind is a string value representing the REST resource this object represents.'),
  };
  return {
    [d(name)]: { description, type: 'object', properties: { ...common, metadata: ref(`${meta}.ObjectMeta`, 'Standard object metadata.'), ...properties }, required, 'x-kubernetes-group-version-kind': gvk(name) },
    [d(`${name}List`)]: {
      description: `A list of ${name} objects.`,
      type: 'object',
      properties: { ...common, items: list(`The ${name} objects.`, local(name)), metadata: ref(`${meta}.ListMeta`, 'Standard list metadata.') },
      required: ['items'],
      'x-kubernetes-group-version-kind': gvk(`${name}List`),
    },
  };
}

const parentReference = obj(
  'A reference to a parent of a route: a Gateway, optionally one of its listeners.',
  {
    group: group('Group of the parent (default gateway.networking.k8s.io).', gatewayGroup),
    kind: str('Kind of the parent (default Gateway).', { default: 'Gateway' }),
    namespace: str("Namespace of the parent; the route's own namespace when unset."),
    name: str('Name of the parent.'),
    sectionName: str('Name of a listener of the parent Gateway; all listeners when unset.'),
    port: int32('Port of the listeners to attach to; all ports when unset.'),
  },
  ['name'],
);

const backendObjectReference = {
  group: group('Group of the referent; "" (core) for Services.', ''),
  kind: str('Kind of the referent (default Service).', { default: 'Service' }),
  name: str('Name of the referent.'),
  namespace: str("Namespace of the referent; the route's namespace when unset. Other namespaces need a ReferenceGrant."),
  port: int32('Port of the Service to send traffic to. Required when the referent is a Service.'),
};

const pathModifier = obj(
  'How a path is rewritten.',
  {
    type: str('ReplaceFullPath or ReplacePrefixMatch.', { enum: ['ReplaceFullPath', 'ReplacePrefixMatch'] }),
    replaceFullPath: str('The path that replaces the whole request path.'),
    replacePrefixMatch: str('The value that replaces the prefix matched by a PathPrefix match.'),
  },
  ['type'],
);

const headerFilter = (what: string): SchemaNode =>
  obj(`Changes the ${what} headers.`, {
    set: mapList('Headers to set, replacing existing values (at most 16).', headerModifierItem, 'name'),
    add: mapList('Headers to add to existing values (at most 16).', headerModifierItem, 'name'),
    remove: list('Names of headers to remove (at most 16).', { type: 'string' }, { 'x-kubernetes-list-type': 'set' }),
  });

const definitions: Definitions = {
  ...kind(
    'GatewayClass',
    'A class of Gateways, handled by one controller.',
    {
      spec: local('GatewayClassSpec', 'Desired state of the GatewayClass.'),
      status: local('GatewayClassStatus', 'Status as the controller reports it.'),
    },
    ['spec'],
  ),
  [d('GatewayClassSpec')]: obj(
    'What a GatewayClass declares.',
    {
      controllerName: str('The domain-prefixed path of the controller that manages Gateways of this class (e.g. capstan.io/gateway-controller). Immutable.'),
      parametersRef: obj(
        'Optional controller-specific parameters.',
        { group: str('Group of the referent.'), kind: str('Kind of the referent.'), name: str('Name of the referent.'), namespace: str('Namespace of a namespaced referent.') },
        ['group', 'kind', 'name'],
      ),
      description: str('Free text describing the class (at most 64 characters).'),
    },
    ['controllerName'],
  ),
  [d('GatewayClassStatus')]: obj('Observed state of a GatewayClass.', {
    conditions: conditions('Current conditions: Accepted.'),
    supportedFeatures: mapList('Features the controller supports.', obj('A feature name.', { name: str('Feature name.') }, ['name']), 'name'),
  }),
  ...kind(
    'Gateway',
    'A set of listeners through which traffic enters, with the routes attached to them.',
    { spec: local('GatewaySpec', 'Desired state of the Gateway.'), status: local('GatewayStatus', 'Status as the controller reports it.') },
    ['spec'],
  ),
  [d('GatewaySpec')]: obj(
    'What a Gateway declares.',
    {
      gatewayClassName: str('Name of the GatewayClass of this Gateway.'),
      listeners: mapList('Logical endpoints bound on the Gateway addresses (1 to 64, names unique).', local('Listener'), 'name'),
      addresses: list(
        'Requested addresses (at most 16).',
        obj('A requested address.', { type: str('IPAddress (default), Hostname or a domain-prefixed type.', { default: 'IPAddress' }), value: str('The address.') }, ['value']),
      ),
      infrastructure: obj('Labels and annotations for resources the controller creates.', {
        labels: { description: 'Labels.', type: 'object', additionalProperties: { type: 'string' } },
        annotations: { description: 'Annotations.', type: 'object', additionalProperties: { type: 'string' } },
      }),
    },
    ['gatewayClassName', 'listeners'],
  ),
  [d('Listener')]: obj(
    'A port, protocol and optional hostname on which the Gateway accepts connections.',
    {
      name: str('Name of the listener, unique within the Gateway.'),
      hostname: hostname('The host this listener serves; all hosts when unset.'),
      port: int32('Network port (1-65535).'),
      protocol: str('HTTP, HTTPS, TLS, TCP, UDP or a domain-prefixed protocol.'),
      tls: local('GatewayTLSConfig', 'TLS settings; required for HTTPS and TLS, forbidden for HTTP, TCP and UDP.'),
      allowedRoutes: local('AllowedRoutes', 'Which routes may attach (default: routes in the same namespace).'),
    },
    ['name', 'port', 'protocol'],
  ),
  [d('GatewayTLSConfig')]: obj('TLS settings of a listener.', {
    mode: str('Terminate (default) or Passthrough.', { enum: ['Terminate', 'Passthrough'], default: 'Terminate' }),
    certificateRefs: list(
      'Secrets (type kubernetes.io/tls) holding certificates and keys (at most 64).',
      obj(
        'A reference to a certificate Secret.',
        { group: group('Group of the referent (default "").', ''), kind: str('Kind of the referent (default Secret).', { default: 'Secret' }), name: str('Name of the referent.'), namespace: str("Namespace of the referent; the Gateway's when unset.") },
        ['name'],
      ),
    ),
    options: { description: 'Implementation-specific TLS options.', type: 'object', additionalProperties: { type: 'string' } },
  }),
  [d('AllowedRoutes')]: obj('Which routes may attach to a listener.', {
    namespaces: obj('Namespaces routes may come from.', {
      from: str('Same (default), All or Selector.', { enum: ['All', 'Selector', 'Same'], default: 'Same' }),
      selector: ref(`${meta}.LabelSelector`, 'Namespaces selected by labels, when from is Selector.'),
    }),
    kinds: list('Route kinds allowed (default: those the protocol supports).', obj('A route kind.', { group: group('Group of the kind.', gatewayGroup), kind: str('The kind.') }, ['kind'])),
  }),
  [d('GatewayStatus')]: obj('Observed state of a Gateway.', {
    addresses: list('Addresses the Gateway is reachable at.', obj('An address.', { type: str('IPAddress, Hostname or a domain-prefixed type.'), value: str('The address.') }, ['value'])),
    conditions: conditions('Current conditions: Accepted, Programmed.'),
    listeners: mapList('Status of each listener.', local('ListenerStatus'), 'name'),
  }),
  [d('ListenerStatus')]: obj(
    'Observed state of a listener.',
    {
      name: str('Name of the listener.'),
      supportedKinds: list('Route kinds this listener accepts.', obj('A route kind.', { group: str('Group of the kind.'), kind: str('The kind.') }, ['kind'])),
      attachedRoutes: int32('Number of routes accepted on this listener.'),
      conditions: conditions('Current conditions: Accepted, Programmed, ResolvedRefs, Conflicted.'),
    },
    ['name', 'supportedKinds', 'attachedRoutes', 'conditions'],
  ),
  ...kind(
    'HTTPRoute',
    'HTTP routing from Gateway listeners to backends.',
    { spec: local('HTTPRouteSpec', 'Desired state of the HTTPRoute.'), status: local('HTTPRouteStatus', 'Status as the controllers report it.') },
    ['spec'],
  ),
  [d('HTTPRouteSpec')]: obj('What an HTTPRoute declares.', {
    parentRefs: list('Gateways (and listeners) this route attaches to (at most 32).', local('ParentReference')),
    hostnames: list('Host names matched against the Host header (at most 16).', hostname('A host name.')),
    rules: list('Rules, each matching requests and sending them to backends (at most 16; default: one rule matching PathPrefix /).', local('HTTPRouteRule')),
  }),
  [d('ParentReference')]: parentReference,
  [d('HTTPRouteRule')]: obj('Matches, filters and backends.', {
    matches: list('Conditions, any of which selects a request (at most 64; default PathPrefix /).', local('HTTPRouteMatch')),
    filters: list('Processing applied to matched requests (at most 16).', local('HTTPRouteFilter')),
    backendRefs: list('Where matched requests go, by weight (at most 16).', local('HTTPBackendRef')),
    timeouts: obj('Timeouts of matched requests.', {
      request: str('Time limit for the whole request, a Gateway API duration such as 10s or 1m30s; 0s disables it.'),
      backendRequest: str('Time limit for one request to a backend; at most request.'),
    }),
  }),
  [d('HTTPRouteMatch')]: obj('Conditions a request must meet, all of them.', {
    path: obj('Path condition (default PathPrefix /).', {
      type: str('Exact, PathPrefix (default) or RegularExpression.', { enum: ['Exact', 'PathPrefix', 'RegularExpression'], default: 'PathPrefix' }),
      value: str('The path to match (default /, at most 1024 characters).', { default: '/' }),
    }),
    headers: mapList(
      'Header conditions (at most 16).',
      obj('A header condition.', { type: str('Exact (default) or RegularExpression.', { enum: ['Exact', 'RegularExpression'], default: 'Exact' }), name: str('Header name, case-insensitive.'), value: str('Value to match.') }, ['name', 'value']),
      'name',
    ),
    queryParams: mapList(
      'Query parameter conditions (at most 16).',
      obj('A query parameter condition.', { type: str('Exact (default) or RegularExpression.', { enum: ['Exact', 'RegularExpression'], default: 'Exact' }), name: str('Parameter name, case-sensitive.'), value: str('Value to match.') }, ['name', 'value']),
      'name',
    ),
    method: str('HTTP method to match.', { enum: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] }),
  }),
  [d('HTTPRouteFilter')]: obj(
    'A processing step; exactly the field named by type is set.',
    {
      type: str('The filter.', { enum: ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef'] }),
      requestHeaderModifier: headerFilter('request'),
      responseHeaderModifier: headerFilter('response'),
      requestMirror: obj('Sends a copy of each request to another backend; its answers are ignored.', { backendRef: obj('The mirror backend.', backendObjectReference, ['name']) }, ['backendRef']),
      requestRedirect: obj('Answers with a redirect.', {
        scheme: str('Scheme of the Location (http or https).', { enum: ['http', 'https'] }),
        hostname: hostname('Host name of the Location.'),
        path: pathModifier,
        port: int32('Port of the Location.'),
        statusCode: { description: 'Redirect status code (301 or 302, default 302).', type: 'integer', format: 'int64', enum: [301, 302], default: 302 },
      }),
      urlRewrite: obj('Rewrites the request before it is forwarded.', { hostname: hostname('The Host header sent to the backend.'), path: pathModifier }),
      extensionRef: obj('An implementation-specific filter (not supported by Capstan).', { group: str('Group.'), kind: str('Kind.'), name: str('Name.') }, ['group', 'kind', 'name']),
    },
    ['type'],
  ),
  [d('HTTPBackendRef')]: obj(
    'A backend of a rule.',
    { ...backendObjectReference, weight: int32('Relative share of traffic (0 to 1000000, default 1).', { default: 1 }), filters: list('Filters applied when this backend is chosen.', local('HTTPRouteFilter')) },
    ['name'],
  ),
  ...kind(
    'ReferenceGrant',
    'Allows objects of other namespaces to refer to objects in this namespace (e.g. HTTPRoutes to Services, Gateways to Secrets).',
    { spec: ref(`${gatewayDefinitionPrefix}beta1.ReferenceGrantSpec`, 'Desired state of the ReferenceGrant.') },
    [],
    'v1beta1',
  ),
  [`${gatewayDefinitionPrefix}beta1.ReferenceGrantSpec`]: obj(
    'Who may refer to what.',
    {
      from: list(
        'The referring objects allowed (1 to 16).',
        obj('Referrers of one kind in one namespace.', { group: str('Group of the referrers ("" for core).'), kind: str('Kind of the referrers.'), namespace: str('Namespace of the referrers.') }, ['group', 'kind', 'namespace']),
      ),
      to: list(
        'The objects of this namespace that may be referred to (1 to 16).',
        obj('Referents of one kind, optionally one name.', { group: str('Group of the referents ("" for core).'), kind: str('Kind of the referents.'), name: str('Name of the referent; all of the kind when unset.') }, ['group', 'kind']),
      ),
    },
    ['from', 'to'],
  ),
  [d('HTTPRouteStatus')]: obj(
    'Observed state of an HTTPRoute, per parent.',
    {
      parents: list(
        'Status for each parent a controller handles (at most 32).',
        obj(
          'Status of the route on one parent.',
          {
            parentRef: local('ParentReference', 'The parent this status is for.'),
            controllerName: str('The controller that wrote this entry.'),
            conditions: conditions('Current conditions: Accepted, ResolvedRefs.'),
          },
          ['parentRef', 'controllerName'],
        ),
      ),
    },
    ['parents'],
  ),
};

/** The Gateway API definitions, to merge into the generated built-in schema. */
export function gatewayApiDefinitions(): Definitions {
  return JSON.parse(JSON.stringify(definitions)) as Definitions;
}
