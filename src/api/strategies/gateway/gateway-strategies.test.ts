import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '../../object.js';
import { errorMessage } from '../../field-errors.js';
import { gatewayClassStrategy, gatewayStrategy } from './gateway.js';
import { httpRouteStrategy } from './http-route.js';
import { parseGatewayDuration } from './rules.js';
import { referenceGrantStrategy } from './reference-grant.js';
import type { Gateway, HTTPRoute } from './types.js';

const obj = (o: unknown) => o as ApiObject;
const messages = (errs: ReturnType<typeof httpRouteStrategy.validate>) => errs.map(errorMessage);

function routeErrors(spec: HTTPRoute['spec']): string[] {
  const r: HTTPRoute = { metadata: { name: 'r', namespace: 'default' }, spec };
  httpRouteStrategy.default!(obj(r));
  return messages(httpRouteStrategy.validate(obj(r)));
}

test('HTTPRoute defaults: one PathPrefix / rule, match and backend defaults, parentRef group and kind', () => {
  const r: HTTPRoute = { spec: { parentRefs: [{ name: 'gw' }] } };
  httpRouteStrategy.default!(obj(r));
  assert.deepEqual(r.spec!.rules, [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]);
  assert.deepEqual(r.spec!.parentRefs, [{ name: 'gw', group: 'gateway.networking.k8s.io', kind: 'Gateway' }]);
  const r2: HTTPRoute = { spec: { rules: [{ matches: [{ headers: [{ name: 'x', value: 'y' }] }], backendRefs: [{ name: 's', port: 80 }], filters: [{ type: 'RequestRedirect', requestRedirect: {} }] }] } };
  httpRouteStrategy.default!(obj(r2));
  const rule = r2.spec!.rules![0]!;
  assert.deepEqual(rule.matches![0], { headers: [{ name: 'x', value: 'y', type: 'Exact' }], path: { type: 'PathPrefix', value: '/' } });
  assert.deepEqual(rule.backendRefs![0], { name: 's', port: 80, group: '', kind: 'Service', weight: 1 });
  assert.equal(rule.filters![0]!.requestRedirect!.statusCode, 302);
});

test('HTTPRoute validation: port required for Services, paths, hostnames, limits, filters, timeouts', () => {
  assert.deepEqual(routeErrors({ rules: [{ backendRefs: [{ name: 's', port: 80 }] }] }), []);
  assert.deepEqual(routeErrors({ rules: [{ backendRefs: [{ name: 's' }] }] }), ['spec.rules[0].backendRefs[0]: Invalid value: "object": Must have port for Service reference']);
  assert.deepEqual(routeErrors({ rules: [{ backendRefs: [{ name: 's', kind: 'Other', group: 'example.com' }] }] }), []);
  assert.deepEqual(routeErrors({ rules: [{ matches: [{ path: { type: 'Exact', value: 'foo' } }] }] }), [
    `spec.rules[0].matches[0].path: Invalid value: "object": value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']`,
  ]);
  assert.match(routeErrors({ rules: [{ matches: [{ path: { value: '/a//b' } }] }] })[0]!, /must not contain '\/\/'/);
  assert.deepEqual(routeErrors({ hostnames: ['Foo.com'] }), [
    `spec.hostnames[0]: Invalid value: "Foo.com": spec.hostnames[0] in body should match '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'`,
  ]);
  assert.deepEqual(routeErrors({ hostnames: ['*.example.com', 'a.example.com'] }), []);
  assert.deepEqual(routeErrors({ rules: Array.from({ length: 17 }, () => ({})) }), ['spec.rules: Too many: 17: must have at most 16 items']);
  assert.deepEqual(routeErrors({ rules: [{ matches: Array.from({ length: 65 }, () => ({})) }] }), ['spec.rules[0].matches: Too many: 65: must have at most 64 items']);
  assert.match(routeErrors({ rules: Array.from({ length: 3 }, () => ({ matches: Array.from({ length: 60 }, () => ({})) })) })[0]!, /total number of matches across all rules/);
  assert.deepEqual(routeErrors({ rules: [{ matches: [{ method: 'FETCH' }] }] }), [
    'spec.rules[0].matches[0].method: Unsupported value: "FETCH": supported values: "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"',
  ]);
  assert.deepEqual(routeErrors({ rules: [{ backendRefs: [{ name: 's', port: 80 }], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }] }] }), [
    'spec.rules[0]: Invalid value: "object": RequestRedirect filter must not be used together with backendRefs',
  ]);
  assert.deepEqual(routeErrors({ rules: [{ filters: [{ type: 'RequestHeaderModifier' }] }] }), [
    'spec.rules[0].filters[0]: Invalid value: "object": filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type',
  ]);
  assert.deepEqual(routeErrors({ rules: [{ backendRefs: [{ name: 's', port: 80, weight: 2_000_000 }] }] }), [
    'spec.rules[0].backendRefs[0].weight: Invalid value: 2000000: spec.rules[0].backendRefs[0].weight in body should be less than or equal to 1000000',
  ]);
  assert.deepEqual(routeErrors({ rules: [{ timeouts: { request: '1s', backendRequest: '2s' } }] }), [
    'spec.rules[0].timeouts: Invalid value: "object": backendRequest timeout cannot be longer than request timeout',
  ]);
  assert.equal(routeErrors({ rules: [{ timeouts: { request: '10 seconds' } }] }).length, 1);
  assert.deepEqual(routeErrors({ rules: [{ matches: [{ headers: [{ name: 'X-A', value: '1' }, { name: 'x-a', value: '2' }] }] }] }), [
    'spec.rules[0].matches[0].headers[1]: Duplicate value: {"name":"x-a"}',
  ]);
  const prefix = { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } } };
  assert.deepEqual(routeErrors({ rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/v1' } }], filters: [prefix] }] }), []);
  assert.deepEqual(routeErrors({ rules: [{ matches: [{ path: { type: 'Exact', value: '/v1' } }], filters: [prefix] }] }), [
    'spec.rules[0]: Invalid value: "object": When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified',
  ]);
  assert.equal(routeErrors({ rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: '*.example.com' } }] }] }).length, 1);
  assert.equal(parseGatewayDuration('1h2m3s4ms'), 3_723_004);
  assert.equal(parseGatewayDuration('1.5s'), undefined);
});

function gatewayErrors(listeners: NonNullable<Gateway['spec']>['listeners']): string[] {
  const g: Gateway = { metadata: { name: 'g', namespace: 'default' }, spec: { gatewayClassName: 'capstan', listeners } };
  gatewayStrategy.default!(obj(g));
  return messages(gatewayStrategy.validate(obj(g)));
}

test('Gateway defaults and validation: unique listener names, TLS rules, hostnames, ports', () => {
  const g: Gateway = { spec: { gatewayClassName: 'capstan', listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'c' }] } }] } };
  gatewayStrategy.default!(obj(g));
  assert.deepEqual(g.spec!.listeners![0]!.allowedRoutes, { namespaces: { from: 'Same' } });
  assert.deepEqual(g.spec!.listeners![0]!.tls, { mode: 'Terminate', certificateRefs: [{ name: 'c', group: '', kind: 'Secret' }] });
  assert.deepEqual(gatewayErrors([{ name: 'http', port: 80, protocol: 'HTTP' }]), []);
  assert.deepEqual(gatewayErrors([
    { name: 'a', port: 80, protocol: 'HTTP' },
    { name: 'a', port: 81, protocol: 'HTTP' },
  ]), ['spec.listeners: Invalid value: "array": Listener name must be unique within the Gateway']);
  assert.deepEqual(gatewayErrors([
    { name: 'a', port: 80, protocol: 'HTTP' },
    { name: 'b', port: 80, protocol: 'HTTP' },
  ]), ['spec.listeners: Invalid value: "array": Combination of port, protocol and hostname must be unique for each listener']);
  assert.deepEqual(gatewayErrors([{ name: 'a', port: 80, protocol: 'HTTP', tls: { certificateRefs: [{ name: 'c' }] } }]), [
    "spec.listeners: Invalid value: \"array\": tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
  ]);
  assert.deepEqual(gatewayErrors([{ name: 'a', port: 443, protocol: 'HTTPS' }]), ["spec.listeners: Invalid value: \"array\": tls mode must be set for protocols ['HTTPS', 'TLS']"]);
  assert.deepEqual(gatewayErrors([{ name: 'a', port: 443, protocol: 'HTTPS', tls: {} }]), [
    'spec.listeners[0].tls: Invalid value: "object": certificateRefs or options must be specified when mode is Terminate',
  ]);
  assert.equal(gatewayErrors([{ name: 'a', port: 0, protocol: 'HTTP', hostname: '1.2.3.4:80' }]).length, 2);
  assert.deepEqual(gatewayErrors([]), ['spec.listeners: Invalid value: 0: spec.listeners in body should have at least 1 items']);
});

test('GatewayClass: controllerName format, immutability, initial status', () => {
  const gc = { metadata: { name: 'c' }, spec: { controllerName: 'example.com/gateway' } };
  assert.deepEqual(gatewayClassStrategy.validate(obj(gc)), []);
  assert.equal(gatewayClassStrategy.validate(obj({ spec: { controllerName: 'nodomain' } })).length, 1);
  assert.deepEqual(messages(gatewayClassStrategy.validateUpdate!(obj({ spec: { controllerName: 'example.com/other' } }), obj(gc))), [
    'spec.controllerName: Invalid value: "example.com/other": Value is immutable',
  ]);
  gatewayClassStrategy.prepareForCreate!(obj(gc));
  assert.deepEqual((gc as { status?: unknown }).status, {
    conditions: [{ type: 'Accepted', status: 'Unknown', reason: 'Pending', message: 'Waiting for controller', lastTransitionTime: '1970-01-01T00:00:00Z' }],
  });
});

test('ReferenceGrant validation', () => {
  const ok = { spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'a' }], to: [{ group: '', kind: 'Service' }] } };
  assert.deepEqual(referenceGrantStrategy.validate(obj(ok)), []);
  assert.deepEqual(messages(referenceGrantStrategy.validate(obj({ spec: { from: [{ group: '', kind: 'Service' }], to: [] } }))), [
    'spec.to: Invalid value: 0: spec.to in body should have at least 1 items',
    'spec.from[0].namespace: Required value',
  ]);
});
