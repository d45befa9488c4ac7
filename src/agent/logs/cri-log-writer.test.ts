import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CriLineSplitter, CriLogWriter, formatCriRecord, formatCriTimestamp, rotatedName, rotatedNames, rotationTimestamp, type CriRecord } from './cri-log-writer.js';

const text = (records: CriRecord[]) => records.map((r) => `${r.tag}:${r.content.toString()}`);

describe('CriLineSplitter', () => {
  test('one record per line; newline and a CR before it dropped; empty lines kept', () => {
    const s = new CriLineSplitter();
    assert.deepEqual(text(s.push(Buffer.from('a\nb\r\n\nc'))), ['F:a', 'F:b', 'F:']);
    assert.deepEqual(text(s.push(Buffer.from('d\n'))), ['F:cd']);
    assert.deepEqual(s.flush(), []);
  });

  test('unfinished output is held until its newline or the end of the stream, then partial', () => {
    const s = new CriLineSplitter();
    assert.deepEqual(s.push(Buffer.from('no newline')), []);
    assert.deepEqual(text(s.flush()), ['P:no newline']);
    assert.deepEqual(s.push(Buffer.from('x\r')), []);
    assert.deepEqual(text(s.flush()), ['P:x\r']);
  });

  test('a line longer than the limit becomes P records of exactly the limit, then F', () => {
    const s = new CriLineSplitter(4);
    assert.deepEqual(text(s.push(Buffer.from('abcd\n'))), ['F:abcd']);
    assert.deepEqual(text(s.push(Buffer.from('abcde\n'))), ['P:abcd', 'F:e']);
    assert.deepEqual(text(s.push(Buffer.from('abcdefgh\n'))), ['P:abcd', 'F:efgh']);
    // Cut as soon as more than the limit is buffered, across chunks.
    assert.deepEqual(text(s.push(Buffer.from('abc'))), []);
    assert.deepEqual(text(s.push(Buffer.from('defghij'))), ['P:abcd', 'P:efgh']);
    assert.deepEqual(text(s.push(Buffer.from('\n'))), ['F:ij']);
    // A CR that may end the line is not cut off from its newline.
    assert.deepEqual(text(s.push(Buffer.from('abcd\r'))), []);
    assert.deepEqual(text(s.push(Buffer.from('\n'))), ['F:abcd']);
    assert.deepEqual(text(s.push(Buffer.from('abcdefg'))), ['P:abcd']);
    assert.deepEqual(text(s.flush()), ['P:efg']);
  });

  test('the default limit is 16 KiB', () => {
    const s = new CriLineSplitter();
    const out = s.push(Buffer.from('a'.repeat(20000) + '\n'));
    assert.deepEqual(
      out.map((r) => [r.tag, r.content.length]),
      [
        ['P', 16384],
        ['F', 20000 - 16384],
      ],
    );
  });

  test('does not keep references to the caller buffer', () => {
    const s = new CriLineSplitter();
    const b = Buffer.from('abc');
    s.push(b);
    b.fill(0x7a);
    assert.deepEqual(text(s.push(Buffer.from('\n'))), ['F:abc']);
  });
});

describe('formatting', () => {
  test('timestamps have nine fraction digits in UTC', () => {
    assert.equal(formatCriTimestamp(1_700_000_000_000_000_007n), '2023-11-14T22:13:20.000000007Z');
    assert.equal(formatCriTimestamp(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123456789Z');
    assert.equal(rotationTimestamp(1_700_000_000_123_456_789n), '20231114-221320');
  });

  test('a record line', () => {
    const line = formatCriRecord(1_700_000_000_000_000_000n, 'stderr', { tag: 'P', content: Buffer.from('hi there') });
    assert.equal(line.toString(), '2023-11-14T22:13:20.000000000Z stderr P hi there\n');
  });

  test('rotated names sort oldest first and a taken name gets a .N suffix', () => {
    const names = ['0.log', '0.log.20240101-000001.1', '0.log.20240101-000001', '0.log.20231231-235959', '0.log.tmp', '1.log.20200101-000000', '0.log.20240101-000001.10', '0.log.20240101-000001.2'];
    assert.deepEqual(rotatedNames('0.log', names), ['0.log.20231231-235959', '0.log.20240101-000001', '0.log.20240101-000001.1', '0.log.20240101-000001.2', '0.log.20240101-000001.10']);
    assert.equal(rotatedName('0.log', '20240101-000001', []), '0.log.20240101-000001');
    assert.equal(rotatedName('0.log', '20240101-000001', ['0.log.20240101-000001']), '0.log.20240101-000001.1');
    assert.equal(rotatedName('0.log', '20240101-000001', names), '0.log.20240101-000001.11');
    // The plain name is not reused once it was pruned, which would make it sort before newer files.
    assert.equal(rotatedName('0.log', '20240101-000001', ['0.log.20240101-000001.4']), '0.log.20240101-000001.5');
  });
});

describe('CriLogWriter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-cri-log-writer-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const fixedClock = (start: bigint) => {
    let t = start;
    return () => (t += 1000n);
  };

  test('writes both streams into one file, creating its directory', async () => {
    const file = path.join(dir, 'c', '0.log');
    const w = new CriLogWriter({ path: file, now: fixedClock(1_700_000_000_000_000_000n) });
    await w.open();
    assert.equal(await readFile(file, 'utf8'), '');
    await w.write('stdout', Buffer.from('out 1\nout'));
    await w.write('stderr', Buffer.from('err 1\n'));
    await w.write('stdout', Buffer.from(' 2\n'));
    await w.write('stderr', Buffer.from('tail'));
    await w.close();
    const lines = (await readFile(file, 'utf8')).split('\n');
    assert.deepEqual(
      lines.map((l) => l.replace(/^\S+ /, '')),
      ['stdout F out 1', 'stderr F err 1', 'stdout F out 2', 'stderr P tail', ''],
    );
    for (const l of lines.slice(0, -1)) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);
  });

  test('appends to an existing file', async () => {
    const file = path.join(dir, '0.log');
    await writeFile(file, 'earlier\n');
    const w = new CriLogWriter({ path: file });
    await w.write('stdout', Buffer.from('later\n'));
    await w.close();
    const lines = (await readFile(file, 'utf8')).split('\n');
    assert.equal(lines[0], 'earlier');
    assert.match(lines[1]!, / stdout F later$/);
  });

  test('rotates past maxBytes, keeps maxFiles files, and numbers same-second rotations', async () => {
    const file = path.join(dir, '0.log');
    // The clock stays within one second, so every rotation lands on the same timestamp.
    const w = new CriLogWriter({ path: file, maxBytes: 200, maxFiles: 3, now: fixedClock(1_700_000_000_000_000_000n) });
    const all: string[] = [];
    for (let i = 0; i < 40; i++) {
      const line = `line ${String(i).padStart(2, '0')} ${'x'.repeat(20)}`;
      all.push(line);
      await w.write('stdout', Buffer.from(line + '\n'));
    }
    await w.close();
    const names = (await readdir(dir)).sort();
    assert.equal(names.length, 3);
    assert.ok(names.includes('0.log'));
    const rotated = rotatedNames('0.log', names);
    assert.equal(rotated.length, 2);
    for (const r of rotated) assert.match(r, /^0\.log\.20231114-221320\.\d+$/);
    // Every file holds whole records and stays within maxBytes; together the kept files end with the last lines.
    let kept: string[] = [];
    for (const name of [...rotated, '0.log']) {
      const body = await readFile(path.join(dir, name), 'utf8');
      assert.ok(Buffer.byteLength(body) <= 200, `${name} has ${Buffer.byteLength(body)} bytes`);
      assert.ok(body.endsWith('\n'));
      kept = kept.concat(body.trimEnd().split('\n').map((l) => l.replace(/^\S+ stdout F /, '')));
    }
    assert.deepEqual(kept, all.slice(all.length - kept.length));
    assert.ok(kept.length >= 6);
  });

  test('maxFiles 1 keeps only the live file', async () => {
    const file = path.join(dir, '0.log');
    const w = new CriLogWriter({ path: file, maxBytes: 100, maxFiles: 1 });
    for (let i = 0; i < 10; i++) await w.write('stderr', Buffer.from(`${'y'.repeat(40)}\n`));
    await w.close();
    assert.deepEqual(await readdir(dir), ['0.log']);
  });

  test('a failing write is reported, and the writer recovers once the cause is gone', async () => {
    const file = path.join(dir, 'sub', '0.log');
    await writeFile(path.join(dir, 'sub'), 'not a directory');
    const errors: unknown[] = [];
    const w = new CriLogWriter({ path: file, onError: (e) => errors.push(e) });
    await assert.rejects(w.open());
    await w.write('stdout', Buffer.from('lost\n'));
    assert.equal(errors.length, 1);
    await rm(path.join(dir, 'sub'));
    await w.write('stdout', Buffer.from('kept\n'));
    await w.close();
    assert.match(await readFile(file, 'utf8'), /^\S+ stdout F kept\n$/);
  });
});
