import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeKubernetesProtobuf } from './decode-kubernetes-protobuf.js';

// Golden vectors: request bodies recorded from kubectl v1.32 beside the JSON it would have sent as
// application/json. For `kubectl create <kind>` that JSON is what `--dry-run=client -o json` prints
// for the same command; for `create token`, `auth can-i` and `auth whoami`, which have no dry run,
// it is the Go JSON of the same object, written out from the types' JSON tags.
// The fixtures live in the source tree; compiled tests run from dist/ and read them there.
const testdata = new URL('./testdata/', import.meta.url.replace('/dist/src/', '/src/'));

describe('decodeKubernetesProtobuf: bodies recorded from kubectl', () => {
  const names = readdirSync(testdata)
    .filter((f) => f.endsWith('.pb'))
    .map((f) => f.slice(0, -'.pb'.length));
  test('there are golden vectors', () => assert.ok(names.length >= 15));
  for (const name of names) {
    test(name, () => {
      const body = readFileSync(new URL(`${name}.pb`, testdata));
      const want = JSON.parse(readFileSync(new URL(`${name}.json`, testdata), 'utf8')) as Record<string, unknown>;
      const got = decodeKubernetesProtobuf(body);
      assert.equal(got.apiVersion, want.apiVersion);
      assert.equal(got.kind, want.kind);
      assert.deepEqual(got.object, want);
    });
  }
});
