import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { resolveEndpoints } from './endpoints.js';

const svc: Service = { metadata: { name: 'web', namespace: 'ns' }, spec: { ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }] } };
const slice = (endpoints: EndpointSlice['endpoints'], ports = [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9100 }]): EndpointSlice => ({
  addressType: 'IPv4',
  metadata: { name: 's', labels: { 'kubernetes.io/service-name': 'web' } },
  endpoints,
  ports,
});

describe('resolveEndpoints', () => {
  test('ready endpoints on the slice port named as the Service port', () => {
    const s = slice([{ addresses: ['10.0.0.1'], conditions: { ready: true } }, { addresses: ['10.0.0.2'], conditions: { ready: false, serving: false } }, { addresses: ['10.0.0.3'] }]);
    assert.deepEqual(resolveEndpoints(svc, [s], 80), { kind: 'ok', addresses: [{ ip: '10.0.0.1', port: 8080 }, { ip: '10.0.0.3', port: 8080 }] });
    assert.deepEqual(resolveEndpoints(svc, [s], 9090), { kind: 'ok', addresses: [{ ip: '10.0.0.1', port: 9100 }, { ip: '10.0.0.3', port: 9100 }] });
  });
  test('serving terminating endpoints only when none is ready', () => {
    const term = { addresses: ['10.0.0.9'], conditions: { ready: false, serving: true, terminating: true } };
    assert.deepEqual(resolveEndpoints(svc, [slice([term])], 80), { kind: 'ok', addresses: [{ ip: '10.0.0.9', port: 8080 }] });
    assert.deepEqual(resolveEndpoints(svc, [slice([term, { addresses: ['10.0.0.1'], conditions: { ready: true } }])], 80), { kind: 'ok', addresses: [{ ip: '10.0.0.1', port: 8080 }] });
  });
  test('no Service, no such port, no endpoints', () => {
    assert.equal(resolveEndpoints(undefined, [], 80).kind, 'no-service');
    assert.equal(resolveEndpoints(svc, [], 81).kind, 'no-port');
    assert.equal(resolveEndpoints(svc, [slice([{ addresses: ['10.0.0.1'], conditions: { ready: false } }])], 80).kind, 'no-endpoints');
    assert.equal(resolveEndpoints(svc, [slice([{ addresses: ['10.0.0.1'] }], [{ name: 'other', port: 1 }])], 80).kind, 'no-endpoints');
  });
});
