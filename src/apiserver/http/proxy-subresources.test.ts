import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusError } from '../../api/errors.js';
import { podTarget, serviceTarget, splitSchemeNamePort } from './proxy-subresources.js';

test('splitSchemeNamePort reads name, name:port and scheme:name:port', () => {
  assert.deepEqual(splitSchemeNamePort('web'), { scheme: '', name: 'web', port: '' });
  assert.deepEqual(splitSchemeNamePort('web:http'), { scheme: '', name: 'web', port: 'http' });
  assert.deepEqual(splitSchemeNamePort('https:web:443'), { scheme: 'https', name: 'web', port: '443' });
  assert.equal(splitSchemeNamePort('ftp:web:21'), undefined);
  assert.equal(splitSchemeNamePort('a:b:c:d'), undefined);
});

test('pods: the given port, a named container port, or the first declared one', () => {
  const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090 }] }] }, status: { podIP: '10.42.0.5' } };
  assert.deepEqual(podTarget(pod, '', ''), { scheme: 'http', host: '10.42.0.5', port: 8080 });
  assert.equal(podTarget(pod, 'https', '9090').port, 9090);
  assert.equal(podTarget(pod, 'https', '9090').scheme, 'https');
  assert.equal(podTarget(pod, '', 'http').port, 8080);
  assert.throws(() => podTarget(pod, '', 'grpc'), /no such port/);
  assert.throws(() => podTarget({ metadata: { name: 'q' }, spec: { containers: [] }, status: {} }, '', '80'), /does not have an IP/);
});

test('services: a ready address at the endpoint port of the named or numbered service port; none is 503', () => {
  const svc = { metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9100 }] } };
  const eps = { subsets: [{ addresses: [{ ip: '10.42.0.7' }], notReadyAddresses: [{ ip: '10.42.0.8' }], ports: [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9100 }] }] };
  assert.deepEqual(serviceTarget(svc, eps, '', 'http'), { scheme: 'http', host: '10.42.0.7', port: 8080 });
  assert.equal(serviceTarget(svc, eps, '', '9100').port, 9100);
  assert.throws(() => serviceTarget(svc, { subsets: [] }, '', 'http'), (e: unknown) => e instanceof StatusError && e.code === 503 && /no endpoints available for service "web"/.test(e.message));
  assert.throws(() => serviceTarget(svc, eps, '', '81'), /no service port 81/);
});
