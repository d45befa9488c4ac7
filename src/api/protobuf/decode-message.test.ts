import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { StatusError } from '../errors.js';
import { decodeKubernetesProtobuf } from './decode-kubernetes-protobuf.js';

// A tiny protobuf writer, enough to build vectors for what kubectl's commands do not send.
const varint = (v: bigint | number): number[] => {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
};
const vi = (n: number, v: bigint | number): Buffer => Buffer.from([...varint((n << 3) | 0), ...varint(v)]);
const ld = (n: number, payload: Buffer | string | number[]): Buffer => {
  const p = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  return Buffer.concat([Buffer.from([...varint((n << 3) | 2), ...varint(p.length)]), p]);
};
const msg = (...parts: Buffer[]): Buffer => Buffer.concat(parts);
const envelope = (apiVersion: string, kind: string, raw: Buffer, extra: Buffer[] = []): Buffer =>
  Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), ld(1, msg(ld(1, apiVersion), ld(2, kind))), ld(2, raw), ...extra]);
const meta = (name: string, ...more: Buffer[]): Buffer => ld(1, msg(ld(1, name), ...more));
const intOrString = (v: number | string): Buffer => (typeof v === 'number' ? msg(vi(1, 0), vi(2, v)) : msg(vi(1, 1), ld(3, v)));

const decode = (apiVersion: string, kind: string, raw: Buffer): Record<string, unknown> => decodeKubernetesProtobuf(envelope(apiVersion, kind, raw)).object;

function assertBadRequest(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StatusError, `not a StatusError: ${String(e)}`);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('decodeKubernetesProtobuf: Go JSON semantics', () => {
  test('Eviction: a pointer present with a zero value is kept, absent omitempty fields are dropped', () => {
    const raw = msg(meta('p1', ld(3, 'default')), ld(2, msg(vi(1, 0), ld(2, msg(ld(1, 'uid-1'))))));
    assert.deepEqual(decode('policy/v1', 'Eviction', raw), {
      kind: 'Eviction',
      apiVersion: 'policy/v1',
      metadata: { name: 'p1', namespace: 'default', creationTimestamp: null },
      deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'uid-1' } },
    });
  });

  test('DeleteOptions under any group version decodes as meta/v1 DeleteOptions', () => {
    assert.deepEqual(decode('apps/v1', 'DeleteOptions', msg(ld(4, 'Foreground'), ld(5, 'All'))), {
      kind: 'DeleteOptions',
      apiVersion: 'apps/v1',
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });
  });

  test('Time is RFC 3339 in seconds, MicroTime in microseconds, the zero time null', () => {
    const ts = msg(vi(1, 1_700_000_000), vi(2, 123_456_789));
    const raw = msg(meta('e', ld(9, msg(vi(1, -1)))), ld(2, ts), ld(4, 'ctl'), ld(13, ts), ld(14, []));
    assert.deepEqual(decode('events.k8s.io/v1', 'Event', raw), {
      kind: 'Event',
      apiVersion: 'events.k8s.io/v1',
      metadata: { name: 'e', creationTimestamp: null, deletionTimestamp: '1969-12-31T23:59:59Z' },
      eventTime: '2023-11-14T22:13:20.123456Z',
      reportingController: 'ctl',
      regarding: {},
      deprecatedSource: {},
      deprecatedFirstTimestamp: '2023-11-14T22:13:20Z',
      deprecatedLastTimestamp: null,
    });
  });

  test('IntOrString becomes a number or a string', () => {
    const strategy = msg(ld(1, 'RollingUpdate'), ld(2, msg(ld(1, intOrString(0)), ld(2, intOrString('25%')))));
    const obj = decode('apps/v1', 'Deployment', msg(meta('d'), ld(2, msg(vi(1, 2), ld(4, strategy)))));
    const spec = obj.spec as Record<string, unknown>;
    assert.equal(spec.replicas, 2);
    assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } });
    // absent non-pointer structs marshal as their zero value
    assert.deepEqual(spec.template, { metadata: { creationTimestamp: null }, spec: { containers: null } });
    assertBadRequest(() => decode('apps/v1', 'Deployment', msg(ld(2, msg(ld(4, msg(ld(2, msg(ld(1, msg(vi(1, 7))))))))))), /IntOrString/);
  });

  test('bytes map values are base64; map keys such as __proto__ are own properties', () => {
    const labels = msg(ld(11, msg(ld(1, '__proto__'), ld(2, 'x'))), ld(11, msg(ld(1, 'b'), ld(2, 'y'))));
    const obj = decode('v1', 'Secret', msg(meta('s', labels), ld(2, msg(ld(1, 'k'), ld(2, [0, 255, 1]))), ld(2, msg(ld(1, 'empty')))));
    assert.deepEqual(obj.data, { empty: '', k: 'AP8B' });
    const got = (obj.metadata as Record<string, unknown>).labels as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(got), Object.prototype);
    assert.deepEqual(Object.keys(got), ['__proto__', 'b']);
    assert.equal(Object.getOwnPropertyDescriptor(got, '__proto__')?.value, 'x');
  });

  test('RawExtension holds embedded JSON, or an embedded protobuf object', () => {
    const json = decode('apps/v1', 'ControllerRevision', msg(meta('r'), ld(2, ld(1, '{"spec":{"x":1}}')), vi(3, 2)));
    assert.deepEqual(json, { kind: 'ControllerRevision', apiVersion: 'apps/v1', metadata: { name: 'r', creationTimestamp: null }, data: { spec: { x: 1 } }, revision: 2 });
    const inner = envelope('v1', 'ConfigMap', msg(meta('c'), ld(2, msg(ld(1, 'a'), ld(2, 'b')))));
    const nested = decode('apps/v1', 'ControllerRevision', msg(meta('r'), ld(2, ld(1, inner)), vi(3, 1)));
    assert.deepEqual(nested.data, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', creationTimestamp: null }, data: { a: 'b' } });
    assertBadRequest(() => decode('apps/v1', 'ControllerRevision', msg(ld(2, ld(1, '{not json')))), /RawExtension/);
  });

  test('negative int32, packed and unpacked repeated int64, inlined embedded structs', () => {
    assert.equal(decode('scheduling.k8s.io/v1', 'PriorityClass', msg(meta('pc'), vi(2, -5))).value, -5);
    const packed = ld(4, [...varint(1), ...varint(2), ...varint(300)]);
    const podSpec = msg(ld(1, msg(ld(1, 'v'), ld(2, ld(2, [])))), ld(14, msg(packed, vi(4, 7))));
    const spec = decode('v1', 'Pod', msg(meta('p'), ld(2, podSpec))).spec as Record<string, unknown>;
    assert.deepEqual(spec.securityContext, { supplementalGroups: [1, 2, 300, 7] });
    assert.deepEqual(spec.volumes, [{ name: 'v', emptyDir: {} }]);
  });

  test('Quantity strings come out canonical; invalid quantities are rejected', () => {
    const hard = (q: string): Buffer => ld(2, ld(1, msg(ld(1, 'cpu'), ld(2, ld(1, q)))));
    assert.deepEqual((decode('v1', 'ResourceQuota', msg(meta('q'), hard('1000m'))).spec as Record<string, unknown>).hard, { cpu: '1' });
    assertBadRequest(() => decode('v1', 'ResourceQuota', msg(meta('q'), hard('abc'))), /Quantity/);
  });

  test('named slices (ExtraValue) are plain arrays', () => {
    const spec = msg(ld(3, 'alice'), ld(5, msg(ld(1, 'scopes'), ld(2, msg(ld(1, 'a'), ld(1, 'b'))))));
    const obj = decode('authorization.k8s.io/v1', 'SubjectAccessReview', msg(meta(''), ld(2, spec)));
    assert.deepEqual(obj.spec, { user: 'alice', extra: { scopes: ['a', 'b'] } });
  });

  test('unknown fields are skipped', () => {
    const unknown = Buffer.from([...varint((999 << 3) | 5), 1, 2, 3, 4, ...varint((998 << 3) | 1), 1, 2, 3, 4, 5, 6, 7, 8]);
    const obj = decode('v1', 'ConfigMap', msg(meta('c', vi(1000, 5)), unknown, vi(4, 1)));
    assert.deepEqual(obj, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', creationTimestamp: null }, immutable: true });
  });
});

describe('decodeKubernetesProtobuf: malformed input is a 400, never a crash', () => {
  // The fixtures live in the source tree; compiled tests run from dist/ and read them there.
  const testdata = new URL('./testdata/', import.meta.url.replace('/dist/src/', '/src/'));
  const configmap = readFileSync(new URL('configmap.pb', testdata));

  test('missing magic', () => assertBadRequest(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"ConfigMap"}')), /prefix/));
  test('unknown kind', () => assertBadRequest(() => decode('v1', 'Foo', msg()), /no kind "Foo" is registered for version "v1"/));
  test('missing kind', () => assertBadRequest(() => decode('v1', '', msg()), /Kind/));
  test('content encoding', () => assertBadRequest(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', msg(), [ld(3, 'gzip')])), /encoding/));
  test('wrong wire type', () => assertBadRequest(() => decode('v1', 'ConfigMap', msg(ld(1, vi(1, 5)))), /wireType/));
  test('length past the end', () => assertBadRequest(() => decode('v1', 'ConfigMap', Buffer.from([0x0a, ...varint(2n ** 40n), 1])), /EOF/));
  test('embedding nested too deep', () => {
    let body = envelope('v1', 'ConfigMap', msg(meta('c')));
    for (let i = 0; i < 20; i++) body = envelope('apps/v1', 'ControllerRevision', msg(ld(2, ld(1, body))));
    assertBadRequest(() => decodeKubernetesProtobuf(body), /depth/);
  });

  test('every truncation and byte mutation of a real body decodes or is a 400', () => {
    for (let n = 0; n < configmap.length; n++) {
      try {
        decodeKubernetesProtobuf(configmap.subarray(0, n));
      } catch (e) {
        assert.ok(e instanceof StatusError && e.code === 400, String(e));
      }
    }
    let seed = 42;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const deployment = readFileSync(new URL('deployment.pb', testdata));
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(deployment);
      for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) b[4 + Math.floor(rand() * (b.length - 4))] = Math.floor(rand() * 256);
      try {
        decodeKubernetesProtobuf(b);
      } catch (e) {
        assert.ok(e instanceof StatusError && e.code === 400, String(e));
      }
    }
  });
});
