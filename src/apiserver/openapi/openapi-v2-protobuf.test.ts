import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from '../../api/builtin-resources.js';
import { loadSchema } from '../../api/schema/load-schema.js';
import { openapiDocuments } from './openapi-documents.js';
import { encodeOpenAPIv2Protobuf, negotiateOpenAPIv2 } from './openapi-v2-protobuf.js';
import { ProtoWriter } from './protobuf-writer.js';

/** A decoded message: field number → raw values (numbers for varints, Buffers otherwise). */
type Msg = Map<number, (number | bigint | Buffer)[]>;

/** A tiny protobuf reader, enough to walk the encoded document. */
function decode(buf: Buffer): Msg {
  const out: Msg = new Map();
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    let value: number | bigint | Buffer;
    switch (key & 7) {
      case 0: {
        const v = varint();
        value = v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
        break;
      }
      case 1:
        value = buf.subarray(i, i + 8);
        i += 8;
        break;
      case 2: {
        const n = Number(varint());
        value = buf.subarray(i, i + n);
        i += n;
        break;
      }
      default:
        throw new Error(`unexpected wire type ${key & 7}`);
    }
    if (i > buf.length) throw new Error('truncated message');
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

const bytes = (m: Msg, f: number): Buffer[] => (m.get(f) ?? []) as Buffer[];
const sub = (m: Msg, f: number): Msg | undefined => {
  const b = bytes(m, f)[0];
  return b && decode(b);
};
const s = (m: Msg | undefined, f: number): string | undefined => (m ? bytes(m, f)[0]?.toString('utf8') : undefined);
const strings = (m: Msg, f: number): string[] => bytes(m, f).map((b) => b.toString('utf8'));
/** Repeated Named*{1 name, 2 value} entries of field f. */
const named = (m: Msg, f: number): Map<string, Msg> => new Map(bytes(m, f).map((b) => decode(b)).map((e) => [s(e, 1)!, sub(e, 2) ?? new Map()]));
/** Vendor extensions (NamedAny) as name → parsed YAML (our YAML is JSON). */
const exts = (m: Msg, f: number): Record<string, unknown> => Object.fromEntries([...named(m, f)].map(([k, any]) => [k, JSON.parse(s(any, 2)!)]));

describe('ProtoWriter', () => {
  test('encodes varints, strings, doubles and nested messages canonically', () => {
    const w = new ProtoWriter().int64(1, 300).string(2, 'hi').bool(3, true).bool(4, false).string(5, '').double(6, 1.5).message(7, new ProtoWriter());
    const b = w.finish();
    assert.deepEqual([...b.subarray(0, 7)], [0x08, 0xac, 0x02, 0x12, 0x02, 0x68, 0x69]);
    const m = decode(b);
    assert.deepEqual(m.get(1), [300]);
    assert.equal(m.get(3)?.[0], 1);
    assert.equal(m.has(4), false, 'proto3 omits false');
    assert.equal(m.has(5), false, 'proto3 omits empty strings');
    assert.equal((m.get(6)![0] as Buffer).readDoubleLE(0), 1.5);
    assert.equal((m.get(7)![0] as Buffer).length, 0, 'an empty sub-message is still present');
    assert.deepEqual(decode(new ProtoWriter().int64(1, -1).finish()).get(1), [2n ** 64n - 1n]);
    assert.deepEqual(decode(new ProtoWriter().oneofBool(2, false).finish()).get(2), [0]);
  });
});

describe('negotiateOpenAPIv2', () => {
  test('chooses the form as kube-openapi does', () => {
    assert.equal(negotiateOpenAPIv2(undefined), 'json');
    assert.equal(negotiateOpenAPIv2('*/*'), 'json');
    assert.equal(negotiateOpenAPIv2('application/json'), 'json');
    assert.equal(negotiateOpenAPIv2('application/com.github.proto-openapi.spec.v2@v1.0+protobuf'), 'protobuf');
    assert.equal(negotiateOpenAPIv2('application/com.github.proto-openapi.spec.v2.v1.0+protobuf'), 'protobuf');
    assert.equal(negotiateOpenAPIv2('application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf'), 'protobuf');
    assert.equal(negotiateOpenAPIv2('*/*, application/com.github.proto-openapi.spec.v2@v1.0+protobuf'), 'protobuf');
    assert.equal(negotiateOpenAPIv2('application/yaml'), undefined);
    assert.equal(negotiateOpenAPIv2('application/json;q=0'), undefined);
  });
});

describe('encodeOpenAPIv2Protobuf', () => {
  const small = {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: {
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}': {
        patch: {
          consumes: ['application/apply-patch+yaml'],
          parameters: [
            { name: 'body', in: 'body', required: true, schema: { $ref: '#/definitions/Deployment' } },
            { uniqueItems: true, type: 'string', description: 'fv', name: 'fieldValidation', in: 'query' },
          ],
          responses: { '200': { description: 'OK', schema: { $ref: '#/definitions/Deployment' } }, '401': { description: 'Unauthorized' } },
          'x-kubernetes-action': 'patch',
          'x-kubernetes-group-version-kind': { group: 'apps', version: 'v1', kind: 'Deployment' },
        },
        parameters: [{ uniqueItems: true, type: 'string', description: 'name', name: 'name', in: 'path', required: true }],
      },
    },
    definitions: {
      Deployment: {
        type: 'object',
        required: ['spec'],
        properties: {
          spec: { type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'atomic' },
          containers: { type: 'array', items: { $ref: '#/definitions/Container' }, 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' },
          policy: { type: 'string', enum: ['Always', 'Never'], default: 'Always', minimum: 0, maxLength: 63 },
          open: { type: 'object', additionalProperties: false },
        },
        'x-kubernetes-group-version-kind': [{ group: 'apps', kind: 'Deployment', version: 'v1' }],
      },
      Container: { type: 'object' },
    },
    securityDefinitions: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer Token authentication' } },
    security: [{ BearerToken: [] }],
  };
  const doc = decode(encodeOpenAPIv2Protobuf(small));

  test('document header, info and security', () => {
    assert.equal(s(doc, 1), '2.0');
    assert.equal(s(sub(doc, 2), 1), 'Kubernetes');
    assert.equal(s(sub(doc, 2), 2), 'v1.32.0');
    const scheme = named(sub(doc, 13)!, 1).get('BearerToken')!;
    const apiKey = sub(scheme, 2)!;
    assert.deepEqual([s(apiKey, 1), s(apiKey, 2), s(apiKey, 3)], ['apiKey', 'authorization', 'header']);
    const req = named(sub(doc, 12)!, 1);
    assert.deepEqual([...req.keys()], ['BearerToken']);
  });

  test('paths: operations, parameter variants, responses and extensions', () => {
    const item = named(sub(doc, 8)!, 2).get('/apis/apps/v1/namespaces/{namespace}/deployments/{name}')!;
    const patch = sub(item, 8)!;
    assert.deepEqual(strings(patch, 7), ['application/apply-patch+yaml']);
    assert.deepEqual(exts(patch, 13), { 'x-kubernetes-action': 'patch', 'x-kubernetes-group-version-kind': { group: 'apps', version: 'v1', kind: 'Deployment' } });
    const [bodyItem, queryItem] = bytes(patch, 8).map((b) => sub(decode(b), 1)!);
    const body = sub(bodyItem!, 1)!;
    assert.deepEqual([s(body, 2), s(body, 3), body.get(4)?.[0], s(sub(body, 5), 1)], ['body', 'body', 1, '#/definitions/Deployment']);
    const query = sub(sub(queryItem!, 2)!, 3)!;
    assert.deepEqual([s(query, 4), s(query, 2), s(query, 6), query.get(20)?.[0]], ['fieldValidation', 'query', 'string', 1]);
    const pathParam = sub(sub(sub(decode(bytes(item, 9)[0]!), 1)!, 2)!, 4)!;
    assert.deepEqual([pathParam.get(1)?.[0], s(pathParam, 4), s(pathParam, 5)], [1, 'name', 'string']);
    const responses = named(sub(patch, 9)!, 1);
    assert.deepEqual([...responses.keys()], ['200', '401']);
    const ok = sub(responses.get('200')!, 1)!;
    assert.equal(s(ok, 1), 'OK');
    assert.equal(s(sub(sub(ok, 2)!, 1), 1), '#/definitions/Deployment');
  });

  test('definitions: types, properties, items, additionalProperties, enum/default and extensions', () => {
    const defs = named(sub(doc, 9)!, 1);
    assert.deepEqual([...defs.keys()], ['Deployment', 'Container']);
    const dep = defs.get('Deployment')!;
    assert.deepEqual(strings(sub(dep, 22)!, 1), ['object']);
    assert.deepEqual(strings(dep, 19), ['spec']);
    assert.deepEqual(exts(dep, 31), { 'x-kubernetes-group-version-kind': [{ group: 'apps', kind: 'Deployment', version: 'v1' }] });
    const props = named(sub(dep, 25)!, 1);
    const spec = props.get('spec')!;
    assert.deepEqual(strings(sub(sub(sub(spec, 21)!, 1)!, 22)!, 1), ['string']);
    assert.deepEqual(exts(spec, 31), { 'x-kubernetes-map-type': 'atomic' });
    const containers = props.get('containers')!;
    const items = bytes(sub(containers, 23)!, 1).map((b) => decode(b));
    assert.equal(items.length, 1);
    assert.equal(s(items[0], 1), '#/definitions/Container');
    assert.deepEqual(exts(containers, 31), { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
    const policy = props.get('policy')!;
    assert.deepEqual(bytes(policy, 20).map((b) => JSON.parse(s(decode(b), 2)!)), ['Always', 'Never']);
    assert.equal(JSON.parse(s(sub(policy, 5), 2)!), 'Always');
    assert.equal(policy.has(9), false, 'minimum 0 is the proto3 default');
    assert.deepEqual(policy.get(11), [63]);
    assert.deepEqual(sub(props.get('open')!, 21)!.get(2), [0], 'additionalProperties: false is present');
  });

  test('the served built-in document encodes every path and definition', async () => {
    const docs = openapiDocuments(builtinResources(), await loadSchema());
    const json = JSON.parse(docs.v2().body.toString('utf8')) as { paths: Record<string, unknown>; definitions: Record<string, unknown> };
    const pb = docs.v2Protobuf();
    assert.equal(pb.etag, docs.v2().etag, 'kube-openapi shares the etag between forms');
    assert.equal(docs.v2Protobuf(), pb, 'cached');
    const top = decode(pb.body);
    assert.deepEqual([...named(sub(top, 8)!, 2).keys()], Object.keys(json.paths));
    const defs = named(sub(top, 9)!, 1);
    assert.deepEqual([...defs.keys()], Object.keys(json.definitions));
    const gvk = exts(defs.get('io.k8s.api.apps.v1.Deployment')!, 31)['x-kubernetes-group-version-kind'];
    assert.deepEqual(gvk, [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  });
});
