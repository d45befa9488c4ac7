import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MemoryStore } from './memory.js';
import { openStore, parseStoreEndpoint } from './open-store.js';
import { SqliteStore } from './sqlite.js';
import { StorageError } from './store.js';

test('parseStoreEndpoint understands every documented form', () => {
  assert.deepEqual(parseStoreEndpoint(undefined, '/data'), { kind: 'sqlite', path: '/data/state.db' });
  assert.deepEqual(parseStoreEndpoint('', '/data'), { kind: 'sqlite', path: '/data/state.db' });
  assert.deepEqual(parseStoreEndpoint('memory://', '/data'), { kind: 'memory' });
  assert.deepEqual(parseStoreEndpoint('sqlite:///var/lib/x.db', '/data'), { kind: 'sqlite', path: '/var/lib/x.db' });
  assert.deepEqual(parseStoreEndpoint('sqlite://rel.db', '/data'), { kind: 'sqlite', path: resolve('rel.db') });
  assert.deepEqual(parseStoreEndpoint('etcd://10.0.0.1:2379,10.0.0.2:2379', '/d'), {
    kind: 'etcd',
    hosts: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'],
  });
  assert.deepEqual(parseStoreEndpoint('https://a:2379, http://b:2379/', '/d'), { kind: 'etcd', hosts: ['https://a:2379', 'http://b:2379'] });
});

test('parseStoreEndpoint rejects unknown or malformed endpoints clearly', () => {
  const bad = (ep: string, re: RegExp) =>
    assert.throws(() => parseStoreEndpoint(ep, '/d'), (e: unknown) => e instanceof StorageError && e.code === 'InvalidArgument' && re.test(e.message));
  bad('postgres://db/x', /unknown scheme "postgres"/);
  bad('etcd://', /at least one host:port/);
  bad('etcd://hostonly', /"hostonly" is not host:port/);
  bad('http://a:2379/path', /not an etcd client URL/);
  bad('sqlite://', /needs a file path/);
  bad('nonsense', /not a URL/);
});

test('openStore opens memory and sqlite stores', async () => {
  const mem = await openStore('memory://', '/nonexistent');
  assert.ok(mem instanceof MemoryStore);
  await mem.close();
  const dir = mkdtempSync(join(tmpdir(), 'open-store-'));
  try {
    const dataDir = join(dir, 'nested', 'data');
    const s = await openStore(undefined, dataDir);
    assert.ok(s instanceof SqliteStore);
    await s.create('/k', 'v');
    await s.close();
    assert.ok(existsSync(join(dataDir, 'state.db')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
