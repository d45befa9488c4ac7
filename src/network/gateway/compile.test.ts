import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret, Service } from 'kubernetes-types/core/v1.js';
import type { Gateway, GatewayClass, HTTPRoute } from '../../api/strategies/gateway/types.js';
import { defaultHttpRoute } from '../../api/strategies/gateway/http-route.js';
import { gatewayStrategy } from '../../api/strategies/gateway/gateway.js';
import type { ApiObject } from '../../api/object.js';
import { compileGateways } from './compile.js';
import { compareHostSpecificity, intersectHostnames } from './hostnames.js';
import { defaultControllerName, type GatewayInput } from './model.js';
import { comparePrecedence, type RouteEntry } from './table.js';

const now = '2026-01-01T00:00:00Z';
const gc: GatewayClass = { metadata: { name: 'capstan', generation: 1 }, spec: { controllerName: defaultControllerName } };
const svc = (name: string, port = 8080, ns = 'default'): Service => ({ metadata: { namespace: ns, name }, spec: { ports: [{ port }] } });

function gateway(listeners: NonNullable<Gateway['spec']>['listeners'], name = 'web', created = '2026-01-01T00:00:00Z'): Gateway {
  const gw: Gateway = { metadata: { namespace: 'default', name, generation: 2, creationTimestamp: created }, spec: { gatewayClassName: 'capstan', listeners } };
  gatewayStrategy.default!(gw as unknown as ApiObject);
  return gw;
}

function route(name: string, spec: HTTPRoute['spec'], extra: Partial<NonNullable<HTTPRoute['metadata']>> = {}): HTTPRoute {
  const r: HTTPRoute = { metadata: { namespace: 'default', name, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', ...extra }, spec };
  defaultHttpRoute(r);
  return r;
}

function input(over: Partial<GatewayInput>): GatewayInput {
  return {
    controllerName: defaultControllerName,
    bindAddress: '127.0.0.1',
    statusAddress: '127.0.0.1',
    gatewayClasses: [gc],
    gateways: [],
    httpRoutes: [],
    services: [],
    secrets: [],
    namespaces: [{ metadata: { name: 'default' } }, { metadata: { name: 'other', labels: { team: 'a' } } }],
    now,
    ...over,
  };
}

const cond = (cs: { type: string; status: string; reason?: string }[] | undefined, type: string) => {
  const c = cs?.find((x) => x.type === type);
  return c ? `${c.status}/${c.reason}` : undefined;
};

test('hostname intersection', () => {
  assert.deepEqual(intersectHostnames(undefined, []), ['*']);
  assert.deepEqual(intersectHostnames('foo.example.com', []), ['foo.example.com']);
  assert.deepEqual(intersectHostnames(undefined, ['a.com']), ['a.com']);
  assert.deepEqual(intersectHostnames('*.example.com', ['foo.example.com', 'example.com', 'bar.other.com']), ['foo.example.com']);
  assert.deepEqual(intersectHostnames('foo.example.com', ['*.example.com']), ['foo.example.com']);
  assert.deepEqual(intersectHostnames('*.example.com', ['*.a.example.com']), ['*.a.example.com']);
  assert.deepEqual(intersectHostnames('*.a.example.com', ['*.example.com']), ['*.a.example.com']);
  assert.deepEqual(intersectHostnames('foo.com', ['bar.com']), []);
  assert.deepEqual(['*', '*.example.com', 'a.example.com', '*.a.example.com'].sort(compareHostSpecificity), ['a.example.com', '*.a.example.com', '*.example.com', '*']);
});

test('GatewayClass accepted; Gateway accepted, programmed, with the address and listener conditions', () => {
  const gw = gateway([{ name: 'http', port: 8080, protocol: 'HTTP' }]);
  const out = compileGateways(input({ gateways: [gw], gatewayClasses: [gc, { metadata: { name: 'other' }, spec: { controllerName: 'example.com/x' } }] }));
  assert.equal(out.gatewayClasses.length, 1);
  assert.equal(cond(out.gatewayClasses[0]!.status.conditions, 'Accepted'), 'True/Accepted');
  const st = out.gateways[0]!.status;
  assert.equal(cond(st.conditions, 'Accepted'), 'True/Accepted');
  assert.equal(cond(st.conditions, 'Programmed'), 'True/Programmed');
  assert.equal(st.conditions![0]!.observedGeneration, 2);
  assert.deepEqual(st.addresses, [{ type: 'IPAddress', value: '127.0.0.1' }]);
  const l = st.listeners![0]!;
  assert.deepEqual(l.supportedKinds, [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }]);
  assert.deepEqual(
    l.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`),
    ['Accepted=True/Accepted', 'Programmed=True/Programmed', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts'],
  );
  assert.equal(out.listeners.length, 1);
  assert.equal(out.listeners[0]!.port, 8080);
  assert.equal(out.listeners[0]!.address, '127.0.0.1');
});

test('kept transition times, protocol conflicts, unsupported protocols, missing certificates, ports taken by older Gateways', () => {
  const gw = gateway([
    { name: 'a', port: 80, protocol: 'HTTP' },
    { name: 'b', port: 80, protocol: 'HTTPS', hostname: 'x.com', tls: { certificateRefs: [{ name: 'cert' }] } },
    { name: 'tcp', port: 90, protocol: 'TCP' },
    { name: 'tls', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'missing' }] } },
  ]);
  gw.status = { conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: '2020-01-01T00:00:00Z' }] };
  const st = compileGateways(input({ gateways: [gw] })).gateways[0]!.status;
  // The HTTPS listener on 443 is accepted (only its references fail): the Gateway stays Accepted.
  assert.equal(cond(st.conditions, 'Accepted'), 'True/ListenersNotValid');
  assert.equal(st.conditions![0]!.lastTransitionTime, '2020-01-01T00:00:00Z');
  const none = compileGateways(input({ gateways: [gateway([{ name: 'tcp', port: 90, protocol: 'TCP' }])] })).gateways[0]!.status;
  assert.equal(cond(none.conditions, 'Accepted'), 'False/ListenersNotValid');
  assert.equal(cond(none.conditions, 'Programmed'), 'False/Invalid');
  assert.equal(none.addresses, undefined);
  const [a, , tcp, tls] = st.listeners!;
  assert.equal(cond(a!.conditions, 'Conflicted'), 'True/ProtocolConflict');
  assert.equal(cond(tcp!.conditions, 'Accepted'), 'False/UnsupportedProtocol');
  assert.deepEqual(tcp!.supportedKinds, []);
  assert.equal(cond(tls!.conditions, 'ResolvedRefs'), 'False/InvalidCertificateRef');
  assert.equal(cond(tls!.conditions, 'Programmed'), 'False/Invalid');

  const older = gateway([{ name: 'http', port: 8080, protocol: 'HTTP' }], 'old', '2025-01-01T00:00:00Z');
  const newer = gateway([{ name: 'http', port: 8080, protocol: 'HTTP' }], 'new');
  const out = compileGateways(input({ gateways: [newer, older] }));
  const n = out.gateways.find((g) => g.name === 'new')!;
  assert.equal(cond(n.status.listeners![0]!.conditions, 'Accepted'), 'False/PortUnavailable');
  assert.deepEqual(out.listeners.map((l) => l.name), ['gateway/default/old/8080']);
  const same = compileGateways(input({ gateways: [older] })).gateways[0]!.status;
  const again = compileGateways(input({ gateways: [{ ...older, status: same }], now: '2027-01-01T00:00:00Z' })).gateways[0]!.status;
  assert.equal(again.conditions![0]!.lastTransitionTime, now);
});

test('HTTPS listeners carry certificates from kubernetes.io/tls Secrets', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const secret: Secret = { metadata: { namespace: 'default', name: 'cert' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64('CRT'), 'tls.key': b64('KEY') } };
  const gw = gateway([{ name: 'https', port: 8443, protocol: 'HTTPS', hostname: 'a.example.com', tls: { certificateRefs: [{ name: 'cert' }] } }]);
  const out = compileGateways(input({ gateways: [gw], secrets: [secret] }));
  assert.equal(cond(out.gateways[0]!.status.listeners![0]!.conditions, 'ResolvedRefs'), 'True/ResolvedRefs');
  const l = out.listeners[0]!;
  assert.equal(l.protocol, 'HTTPS');
  assert.deepEqual(l.tls?.certificates, [{ hostnames: ['a.example.com'], certPem: 'CRT', keyPem: 'KEY' }]);
  const other = compileGateways(input({ gateways: [gateway([{ name: 'https', port: 8443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert', namespace: 'other' }] } }])], secrets: [secret] }));
  assert.equal(cond(other.gateways[0]!.status.listeners![0]!.conditions, 'ResolvedRefs'), 'False/RefNotPermitted');
});

test('a 90/10 weighted route, a header match and a mirror compile into the table with route statuses', () => {
  const gw = gateway([{ name: 'http', port: 8080, protocol: 'HTTP' }]);
  const r = route('models', {
    parentRefs: [{ name: 'web' }],
    hostnames: ['models.example.com'],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/v1' } }],
        backendRefs: [
          { name: 'model-v1', port: 8080, weight: 90 },
          { name: 'model-v2', port: 8080, weight: 10 },
        ],
        timeouts: { request: '1m30s' },
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/v1' }, headers: [{ name: 'x-model-version', value: 'v2' }] }],
        filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'shadow', port: 9000 } } }],
        backendRefs: [{ name: 'model-v2', port: 8080 }],
      },
    ],
  });
  const out = compileGateways(input({ gateways: [gw], httpRoutes: [r], services: [svc('model-v1'), svc('model-v2'), svc('shadow', 9000)] }));
  const parent = out.httpRoutes[0]!.status.parents[0]!;
  assert.equal(parent.controllerName, defaultControllerName);
  assert.deepEqual(parent.parentRef, { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'web' });
  assert.equal(cond(parent.conditions, 'Accepted'), 'True/Accepted');
  assert.equal(cond(parent.conditions, 'ResolvedRefs'), 'True/ResolvedRefs');
  assert.equal(out.gateways[0]!.status.listeners![0]!.attachedRoutes, 1);
  const host = out.listeners[0]!.hosts[0]!;
  assert.equal(host.hostname, 'models.example.com');
  // The header match is more specific: tried first.
  const [first, second] = host.rules;
  assert.deepEqual(first!.matches, [{ path: { type: 'PathPrefix', value: '/v1' }, headers: [{ name: 'x-model-version', value: 'v2', type: 'Exact' }] }]);
  assert.deepEqual(first!.filters, [{ type: 'RequestMirror', backend: { namespace: 'default', service: 'shadow', port: 9000 } }]);
  assert.deepEqual(first!.backends, [{ namespace: 'default', service: 'model-v2', port: 8080, weight: 1 }]);
  assert.deepEqual(second!.backends, [
    { namespace: 'default', service: 'model-v1', port: 8080, weight: 90 },
    { namespace: 'default', service: 'model-v2', port: 8080, weight: 10 },
  ]);
  assert.equal(second!.timeoutMs, 90_000);
  assert.equal(second!.source, 'httproute/default/models');
});

test('route conditions: BackendNotFound, InvalidKind, RefNotPermitted, NoMatchingParent, NotAllowedByListeners, NoMatchingListenerHostname', () => {
  const gw = gateway([
    { name: 'http', port: 8080, protocol: 'HTTP', hostname: 'a.example.com' },
    { name: 'sel', port: 8081, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'a' } } } } },
  ]);
  const run = (r: HTTPRoute, services: Service[] = []) => {
    const out = compileGateways(input({ gateways: [gw], httpRoutes: [r], services }));
    const p = out.httpRoutes[0]!.status.parents[0]!;
    return `${cond(p.conditions, 'Accepted')} ${cond(p.conditions, 'ResolvedRefs')}`;
  };
  assert.equal(run(route('r', { parentRefs: [{ name: 'web', sectionName: 'http' }], rules: [{ backendRefs: [{ name: 'nope', port: 80 }] }] })), 'True/Accepted False/BackendNotFound');
  assert.equal(run(route('r', { parentRefs: [{ name: 'web', sectionName: 'http' }], rules: [{ backendRefs: [{ name: 'x', kind: 'Pod', port: 80 }] }] })), 'True/Accepted False/InvalidKind');
  assert.equal(run(route('r', { parentRefs: [{ name: 'web', sectionName: 'http' }], rules: [{ backendRefs: [{ name: 'x', namespace: 'other', port: 80 }] }] })), 'True/Accepted False/RefNotPermitted');
  assert.equal(run(route('r', { parentRefs: [{ name: 'web', sectionName: 'nope' }] })), 'False/NoMatchingParent True/ResolvedRefs');
  assert.equal(run(route('r', { parentRefs: [{ name: 'web', port: 9999 }] })), 'False/NoMatchingParent True/ResolvedRefs');
  assert.equal(run(route('r', { parentRefs: [{ name: 'web', sectionName: 'sel' }] })), 'False/NotAllowedByListeners True/ResolvedRefs');
  const fromOther = route('r', { parentRefs: [{ name: 'web', namespace: 'default', sectionName: 'sel' }] }, { namespace: 'other' });
  assert.equal(run(fromOther), 'True/Accepted True/ResolvedRefs');
  assert.equal(run(route('r', { parentRefs: [{ name: 'web', sectionName: 'http' }], hostnames: ['b.example.com'] })), 'False/NoMatchingListenerHostname True/ResolvedRefs');
  // A rule whose only backend is missing answers 500.
  const out = compileGateways(input({ gateways: [gw], httpRoutes: [route('r', { parentRefs: [{ name: 'web', sectionName: 'http' }], rules: [{ backendRefs: [{ name: 'nope', port: 80 }] }] })] }));
  assert.equal(out.listeners[0]!.hosts[0]!.rules[0]!.failureStatus, 500);
  const zero = compileGateways(input({ gateways: [gw], services: [svc('s')], httpRoutes: [route('r', { parentRefs: [{ name: 'web', sectionName: 'http' }], rules: [{ backendRefs: [{ name: 's', port: 8080, weight: 0 }] }] })] }));
  assert.equal(zero.listeners[0]!.hosts[0]!.rules[0]!.failureStatus, 500);
  // A missing backend among valid ones keeps its weight, marked invalid: its share answers 500.
  const part = compileGateways(input({ gateways: [gw], services: [svc('s')], httpRoutes: [route('r', { parentRefs: [{ name: 'web', sectionName: 'http' }], rules: [{ backendRefs: [{ name: 's', port: 8080, weight: 90 }, { name: 'nope', port: 80, weight: 10 }] }] })] }));
  const partRule = part.listeners[0]!.hosts[0]!.rules[0]!;
  assert.equal(partRule.failureStatus, undefined);
  assert.deepEqual(partRule.backends, [{ namespace: 'default', service: 's', port: 8080, weight: 90 }, { namespace: 'default', service: 'nope', port: 80, weight: 10, invalid: true }]);
  // Status entries of other controllers are kept.
  const foreign = route('r', { parentRefs: [{ name: 'web', sectionName: 'http' }] });
  foreign.status = { parents: [{ parentRef: { name: 'x' }, controllerName: 'example.com/other', conditions: [] }] };
  const kept = compileGateways(input({ gateways: [gw], httpRoutes: [foreign] })).httpRoutes[0]!.status.parents;
  assert.deepEqual(kept.map((p) => p.controllerName), ['example.com/other', defaultControllerName]);
});

test('precedence across routes: exact > longest prefix > method > headers > query params > oldest > alphabetical', () => {
  const e = (m: RouteEntry['match'], name = 'r', created = '2026-01-01T00:00:00Z'): RouteEntry => ({
    route: { metadata: { namespace: 'default', name, creationTimestamp: created } },
    ruleIndex: 0,
    matchIndex: 0,
    match: m,
    rule: { matches: [], backends: [], source: name },
  });
  const list = [
    e({ path: { type: 'PathPrefix', value: '/' } }, 'z-prefix-root'),
    e({ path: { type: 'PathPrefix', value: '/' }, queryParams: [{ name: 'q', value: '1' }] }, 'query'),
    e({ path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'h', value: '1' }] }, 'header'),
    e({ path: { type: 'PathPrefix', value: '/' }, method: 'GET' }, 'method'),
    e({ path: { type: 'PathPrefix', value: '/' } }, 'b-newer', '2026-02-01T00:00:00Z'),
    e({ path: { type: 'PathPrefix', value: '/' } }, 'a-root'),
    e({ path: { type: 'PathPrefix', value: '/api' } }, 'prefix-api'),
    e({ path: { type: 'Exact', value: '/' } }, 'exact'),
  ];
  assert.deepEqual(list.sort(comparePrecedence).map((x) => x.route.metadata!.name), ['exact', 'prefix-api', 'method', 'header', 'query', 'a-root', 'z-prefix-root', 'b-newer']);
});

test('redirect and rewrite filters, listener hostname specificity across listeners on one port', () => {
  const gw = gateway([
    { name: 'any', port: 8080, protocol: 'HTTP', hostname: '*.example.com' },
    { name: 'a', port: 8080, protocol: 'HTTP', hostname: 'a.example.com' },
  ]);
  const wide = route('wide', {
    parentRefs: [{ name: 'web', sectionName: 'any' }],
    hostnames: ['a.example.com', 'b.example.com'],
    rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }],
  });
  const narrow = route('narrow', {
    parentRefs: [{ name: 'web', sectionName: 'a' }],
    rules: [{ filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/x' } } }], backendRefs: [{ name: 'svc', port: 8080 }] }],
  });
  const out = compileGateways(input({ gateways: [gw], httpRoutes: [wide, narrow], services: [svc('svc')] }));
  const hosts = out.listeners[0]!.hosts;
  assert.deepEqual(hosts.map((h) => h.hostname), ['a.example.com', 'b.example.com']);
  assert.deepEqual(hosts[0]!.rules.map((r) => r.source), ['httproute/default/narrow']);
  assert.deepEqual(hosts[0]!.rules[0]!.filters, [{ type: 'URLRewrite', path: { type: 'ReplaceFullPath', value: '/x' } }]);
  assert.deepEqual(hosts[1]!.rules[0]!.filters, [{ type: 'RequestRedirect', scheme: 'https', statusCode: 301 }]);
  assert.equal(hosts[1]!.rules[0]!.failureStatus, undefined);
});

test('ReferenceGrants allow cross-namespace backends and certificates', () => {
  const gw = gateway([{ name: 'http', port: 8080, protocol: 'HTTP' }]);
  const r = route('r', { parentRefs: [{ name: 'web' }], rules: [{ backendRefs: [{ name: 'svc', namespace: 'other', port: 8080 }] }] });
  const grant = (toName?: string, fromKind = 'HTTPRoute') => ({
    metadata: { namespace: 'other', name: 'g' },
    spec: { from: [{ group: 'gateway.networking.k8s.io', kind: fromKind, namespace: 'default' }], to: [{ group: '', kind: 'Service', ...(toName ? { name: toName } : {}) }] },
  });
  const run = (grants: ReturnType<typeof grant>[]) => compileGateways(input({ gateways: [gw], httpRoutes: [r], services: [svc('svc', 8080, 'other')], referenceGrants: grants }));
  assert.equal(cond(run([]).httpRoutes[0]!.status.parents[0]!.conditions, 'ResolvedRefs'), 'False/RefNotPermitted');
  assert.equal(cond(run([grant('elsewhere')]).httpRoutes[0]!.status.parents[0]!.conditions, 'ResolvedRefs'), 'False/RefNotPermitted');
  assert.equal(cond(run([grant(undefined, 'Gateway')]).httpRoutes[0]!.status.parents[0]!.conditions, 'ResolvedRefs'), 'False/RefNotPermitted');
  const ok = run([grant('svc')]);
  assert.equal(cond(ok.httpRoutes[0]!.status.parents[0]!.conditions, 'ResolvedRefs'), 'True/ResolvedRefs');
  assert.deepEqual(ok.listeners[0]!.hosts[0]!.rules[0]!.backends, [{ namespace: 'other', service: 'svc', port: 8080, weight: 1 }]);

  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const secret: Secret = { metadata: { namespace: 'other', name: 'cert' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64('C'), 'tls.key': b64('K') } };
  const tlsGw = gateway([{ name: 'https', port: 8443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert', namespace: 'other' }] } }]);
  const secretGrant = { metadata: { namespace: 'other', name: 's' }, spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default' }], to: [{ group: '', kind: 'Secret' }] } };
  const tls = compileGateways(input({ gateways: [tlsGw], secrets: [secret], referenceGrants: [secretGrant] }));
  assert.equal(cond(tls.gateways[0]!.status.listeners![0]!.conditions, 'ResolvedRefs'), 'True/ResolvedRefs');
  assert.equal(tls.listeners[0]!.tls?.default?.certPem, 'C');
});

test('a route whose match duplicates an older route’s stays Accepted and is told which route wins', () => {
  const gw = gateway([
    { name: 'http', port: 8080, protocol: 'HTTP' },
    { name: 'alt', port: 8081, protocol: 'HTTP' },
  ]);
  const rules = [{ matches: [{ path: { type: 'PathPrefix' as const, value: '/api' } }], backendRefs: [{ name: 's', port: 8080 }] }];
  const first = route('first', { parentRefs: [{ name: 'web', sectionName: 'http' }], hostnames: ['a.test'], rules });
  const second = route('second', { parentRefs: [{ name: 'web', sectionName: 'http' }, { name: 'web', sectionName: 'alt' }], hostnames: ['a.test'], rules: [...rules, { matches: [{ path: { type: 'PathPrefix', value: '/own' } }], backendRefs: [{ name: 's', port: 8080 }] }] }, { creationTimestamp: '2026-01-02T00:00:00Z' });
  const out = compileGateways(input({ gateways: [gw], httpRoutes: [second, first], services: [svc('s')] }));
  const parents = (name: string) => out.httpRoutes.find((r) => r.name === name)!.status.parents;
  assert.deepEqual(parents('first')[0]!.conditions.map((c) => c.type), ['Accepted', 'ResolvedRefs']);
  const [onHttp, onAlt] = parents('second');
  assert.equal(cond(onHttp!.conditions, 'Accepted'), 'True/Accepted');
  assert.equal(cond(onHttp!.conditions, 'ResolvedRefs'), 'True/ResolvedRefs');
  const shadowed = onHttp!.conditions.find((c) => c.type === 'capstan.io/Shadowed')!;
  assert.equal(`${shadowed.status}/${shadowed.reason}`, 'True/RuleMatchConflict');
  assert.equal(shadowed.message, 'rule 0 match 0 (PathPrefix /api) of host a.test is already served by the older HTTPRoute default/first');
  assert.equal(shadowed.observedGeneration, 1);
  // On port 8081 nothing competes with it.
  assert.equal(cond(onAlt!.conditions, 'capstan.io/Shadowed'), undefined);
  assert.deepEqual(out.routeProblems, [{ namespace: 'default', name: 'second', reason: 'Conflict', message: shadowed.message }]);
  // The older route's rule is tried first; the younger one's own path still serves.
  const host = out.listeners.find((l) => l.port === 8080)!.hosts[0]!;
  assert.deepEqual(host.rules.map((r) => r.source), ['httproute/default/first', 'httproute/default/second', 'httproute/default/second']);
  // The condition keeps its transition time while the conflict lasts, and goes with it.
  second.status = { parents: parents('second') };
  const later = compileGateways(input({ gateways: [gw], httpRoutes: [second, first], services: [svc('s')], now: '2026-01-05T00:00:00Z' }));
  assert.equal(later.httpRoutes.find((r) => r.name === 'second')!.status.parents[0]!.conditions.find((c) => c.type === 'capstan.io/Shadowed')!.lastTransitionTime, now);
  const alone = compileGateways(input({ gateways: [gw], httpRoutes: [second], services: [svc('s')] }));
  assert.equal(cond(alone.httpRoutes[0]!.status.parents[0]!.conditions, 'capstan.io/Shadowed'), undefined);
  assert.deepEqual(alone.routeProblems, []);
});

test('a route attaches to same-named listeners of two Gateways', () => {
  const a = gateway([{ name: 'http', port: 8080, protocol: 'HTTP' }], 'a');
  const b = gateway([{ name: 'http', port: 8090, protocol: 'HTTP' }], 'b', '2026-01-02T00:00:00Z');
  const r = route('r', { parentRefs: [{ name: 'a' }, { name: 'b' }], rules: [{ backendRefs: [{ name: 's', port: 8080 }] }] });
  const out = compileGateways(input({ gateways: [a, b], httpRoutes: [r], services: [svc('s')] }));
  assert.deepEqual(out.gateways.map((g) => g.status.listeners![0]!.attachedRoutes), [1, 1]);
  assert.deepEqual(out.listeners.map((l) => [l.port, l.hosts.length]), [[8080, 1], [8090, 1]]);
});
