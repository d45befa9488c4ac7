import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Payload, readPayload, timestampPrefix, validatePayloadPath, writePayload } from './atomic-writer.js';

const f = (s: string, mode = 0o644) => ({ data: Buffer.from(s), mode });

describe('atomic writer', () => {
  let tmp: string;
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'capstan-aw-'));
  });
  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('names timestamped directories in UTC', () => {
    assert.equal(timestampPrefix(new Date(Date.UTC(2026, 10, 28, 9, 5, 7))), '..2026_11_28_09_05_07.');
  });

  it('refuses absolute paths and .. elements', () => {
    assert.match(validatePayloadPath('/etc/passwd')!, /must be relative/);
    assert.match(validatePayloadPath('..foo')!, /must not start with '\.\.'/);
    assert.match(validatePayloadPath('a/../b')!, /must not contain '\.\.'/);
    assert.equal(validatePayloadPath('a/b.txt'), undefined);
  });

  it('writes, swaps ..data on update, removes gone keys, keeps modes', async () => {
    const dir = path.join(tmp, 'vol');
    const first: Payload = new Map([
      ['a', f('1')],
      ['sub/b', f('2', 0o600)],
    ]);
    assert.equal((await writePayload(dir, first, new Date(Date.UTC(2026, 10, 28)))).written, true);
    const ts1 = await fs.readlink(path.join(dir, '..data'));
    assert.match(ts1, /^\.\.2026_11_28_00_00_00\./);
    assert.equal(await fs.readlink(path.join(dir, 'a')), '..data/a');
    assert.equal(await fs.readlink(path.join(dir, 'sub')), '..data/sub');
    assert.equal(await fs.readFile(path.join(dir, 'sub/b'), 'utf8'), '2');
    assert.equal((await fs.stat(path.join(dir, 'sub/b'))).mode & 0o777, 0o600);
    assert.equal((await fs.stat(path.join(dir, 'a'))).mode & 0o777, 0o644);

    // Same content: nothing written, same directory.
    assert.equal((await writePayload(dir, first)).written, false);
    assert.equal(await fs.readlink(path.join(dir, '..data')), ts1);

    // Update: new directory behind ..data, old one gone, removed key gone, new key visible.
    const second: Payload = new Map([
      ['a', f('changed', 0o400)],
      ['c', f('3')],
    ]);
    assert.equal((await writePayload(dir, second)).written, true);
    const ts2 = await fs.readlink(path.join(dir, '..data'));
    assert.notEqual(ts2, ts1);
    const names = (await fs.readdir(dir)).sort();
    assert.deepEqual(names, ['..data', ts2, 'a', 'c'].sort());
    assert.equal(await fs.readFile(path.join(dir, 'a'), 'utf8'), 'changed');
    assert.equal((await fs.stat(path.join(dir, 'a'))).mode & 0o777, 0o400);
    const back = await readPayload(dir);
    assert.deepEqual([...back.keys()].sort(), ['a', 'c']);
  });

  it('an empty payload leaves only ..data', async () => {
    const dir = path.join(tmp, 'empty');
    await writePayload(dir, new Map([['x', f('1')]]));
    await writePayload(dir, new Map());
    const names = await fs.readdir(dir);
    assert.equal(names.length, 2);
    assert.ok(names.includes('..data'));
  });

  it('rejects a bad path before writing anything', async () => {
    const dir = path.join(tmp, 'bad');
    await assert.rejects(writePayload(dir, new Map([['../x', f('1')]])), /must not start/);
    assert.deepEqual(await fs.readdir(dir).catch(() => []), []);
  });
});
