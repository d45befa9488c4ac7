import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory.js';
import { runStoreConformance } from './store-conformance.js';

runStoreConformance('memory', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});

test('memory store compacts itself to the retained history', async () => {
  const s = new MemoryStore({ retainRevisions: 10 });
  let kv = await s.create('/k', '0');
  for (let i = 1; i < 100; i++) kv = await s.update('/k', String(i), kv.modRevision);
  const compacted = await s.compactedRevision();
  assert.ok(compacted >= 100 - 20 && compacted <= 100 - 10, `compacted at ${compacted}`);
  assert.equal((await s.list('/', { revision: compacted })).items[0]?.value, String(compacted - 1));
  await s.close();
});
