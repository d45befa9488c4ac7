/**
 * An acknowledged write survives kill -9: a child process creates keys and prints each one
 * after `create` resolves; the parent SIGKILLs it mid-stream, reopens the file and expects
 * every acknowledged key at its acknowledged revision.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SqliteStore } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'sqlite-durability-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = `
const { SqliteStore } = await import(process.argv[2]);
const store = new SqliteStore({ path: process.argv[3], compactIntervalMs: 0 });
for (let i = 0; ; i++) {
  const kv = await store.create('/durable/k' + i, 'value-' + i);
  process.stdout.write(kv.key + ' ' + kv.modRevision + '\\n');
}
`;

test('every acknowledged create survives SIGKILL of the writer', { timeout: 60_000 }, async () => {
  const script = join(dir, 'writer.mjs');
  writeFileSync(script, CHILD);
  const dbPath = join(dir, 'state.db');
  // Run from source under tsx, or from the compiled output under plain node.
  const runningTs = import.meta.url.endsWith('.ts');
  const loader = runningTs ? ['--import', import.meta.resolve('tsx')] : [];
  const moduleUrl = new URL('./sqlite.js', import.meta.url).href;
  const child = spawn(process.execPath, [...loader, script, moduleUrl, dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));

  const acked = new Map<string, number>();
  const target = 500;
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const [key, rev] = line.split(' ');
    acked.set(key!, Number(rev));
    if (acked.size === target) {
      child.kill('SIGKILL');
      break;
    }
  }
  const signal = await exited;
  assert.equal(signal, 'SIGKILL', `writer ended early: ${stderr}`);
  assert.equal(acked.size, target);

  const store = new SqliteStore({ path: dbPath, compactIntervalMs: 0 });
  try {
    for (const [key, rev] of acked) {
      const kv = await store.get(key);
      assert.ok(kv, `acknowledged ${key} lost`);
      assert.equal(kv.modRevision, rev);
    }
    const maxAcked = Math.max(...acked.values());
    assert.ok((await store.currentRevision()) >= maxAcked);
    const next = await store.create('/durable/after', 'x');
    assert.ok(next.modRevision > maxAcked);
  } finally {
    await store.close();
  }
});
