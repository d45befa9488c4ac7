import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '../../api/object.js';
import { tableConverterFor } from './registry.js';

const now = new Date('2026-01-01T01:00:00Z');
const created = '2026-01-01T00:55:00Z';
const row = (resource: string, obj: object) => {
  const c = tableConverterFor('gateway.networking.k8s.io', resource);
  return { names: c.columns.map((col) => (col.priority ? `${col.name}*` : col.name)), cells: c.rows([obj as ApiObject], now)[0]!.cells };
};

test('GatewayClass, Gateway, HTTPRoute and ReferenceGrant tables follow the CRDs printer columns', () => {
  const gc = row('gatewayclasses', { metadata: { name: 'capstan', creationTimestamp: created }, spec: { controllerName: 'capstan.io/gateway-controller' }, status: { conditions: [{ type: 'Accepted', status: 'True' }] } });
  assert.deepEqual(gc.names, ['Name', 'Controller', 'Accepted', 'Age', 'Description*']);
  assert.deepEqual(gc.cells, ['capstan', 'capstan.io/gateway-controller', 'True', '5m', null]);
  const gw = row('gateways', {
    metadata: { name: 'web', creationTimestamp: created },
    spec: { gatewayClassName: 'capstan' },
    status: { addresses: [{ value: '127.0.0.1' }, { value: '10.0.0.1' }], conditions: [{ type: 'Programmed', status: 'False' }] },
  });
  assert.deepEqual(gw.names, ['Name', 'Class', 'Address', 'Programmed', 'Age']);
  assert.deepEqual(gw.cells, ['web', 'capstan', '127.0.0.1', 'False', '5m']);
  assert.deepEqual(row('gateways', { metadata: { name: 'new', creationTimestamp: created }, spec: { gatewayClassName: 'x' } }).cells, ['new', 'x', null, null, '5m']);
  const r = row('httproutes', { metadata: { name: 'models', creationTimestamp: created }, spec: { hostnames: ['a.example.com', 'b.example.com'] } });
  assert.deepEqual(r.names, ['Name', 'Hostnames', 'Age']);
  assert.deepEqual(r.cells, ['models', '["a.example.com","b.example.com"]', '5m']);
  assert.deepEqual(row('referencegrants', { metadata: { name: 'g', creationTimestamp: created } }).cells, ['g', '5m']);
});
