import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { eventually } from '../../../test/support/eventually.js';
import { parseCriLine, parseCriTimestamp } from './cri-format.js';
import { listRotatedLogFiles, readContainerLogs, type LogOptions, type LogReadControl } from './cri-log-reader.js';

/** A record at 2024-05-01T10:00:<sec>.<ns>Z. */
function rec(sec: number, stream: 'stdout' | 'stderr', tag: string, content: string, ns = '000000000'): string {
  return `2024-05-01T10:00:${String(sec).padStart(2, '0')}.${ns}Z ${stream} ${tag} ${content}\n`;
}
const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'capstan-cri-log-reader-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh directory with the given files (names relative to it); returns the live log path. */
async function fixture(files: Record<string, string | Buffer> = {}): Promise<string> {
  const dir = path.join(root, `c${n++}`);
  await mkdir(dir);
  for (const [name, body] of Object.entries(files)) await writeFile(path.join(dir, name), body);
  return path.join(dir, '0.log');
}

async function read(logPath: string, opts: LogOptions = {}): Promise<string> {
  const chunks: Buffer[] = [];
  await readContainerLogs(logPath, opts, (c) => void chunks.push(c));
  return Buffer.concat(chunks).toString('utf8');
}

/** Every follow a test starts is aborted after it, so that a failing test leaves nothing running. */
const running = new Set<AbortController>();
afterEach(() => {
  for (const ac of running) ac.abort();
  running.clear();
});

/** Starts a follow; `text()` is the output so far, `done()` asks it to finish, `result` settles when it does. */
function follow(logPath: string, opts: LogOptions = {}, ctl: Partial<LogReadControl> = {}) {
  const chunks: Buffer[] = [];
  let finished = false;
  const ac = new AbortController();
  running.add(ac);
  const result = readContainerLogs(logPath, { ...opts, follow: true }, (c) => void chunks.push(c), {
    signal: ac.signal,
    isDone: () => finished,
    pollMs: 10,
    ...ctl,
  });
  return {
    text: () => Buffer.concat(chunks).toString('utf8'),
    done: () => {
      finished = true;
    },
    abort: () => ac.abort(),
    result,
  };
}

async function waitForText(f: { text: () => string }, expected: string): Promise<void> {
  await eventually(`output ${JSON.stringify(expected)}`, () => (f.text() === expected ? true : undefined), 10_000, 10).catch((err: Error) => {
    throw new Error(`${err.message}; got ${JSON.stringify(f.text())}`);
  });
}

describe('parseCriLine', () => {
  it('parses full and partial records', () => {
    assert.deepEqual(parseCriLine('2016-10-06T00:17:09.669794202Z stdout F log content 1'), {
      time: '2016-10-06T00:17:09.669794202Z',
      stream: 'stdout',
      partial: false,
      content: 'log content 1',
    });
    assert.deepEqual(parseCriLine('2016-10-06T00:17:09.669794203Z stderr P  two  spaces \n'), {
      time: '2016-10-06T00:17:09.669794203Z',
      stream: 'stderr',
      partial: true,
      content: ' two  spaces ',
    });
  });

  it('keeps empty content, unicode, and reads only the first of several tags', () => {
    assert.equal(parseCriLine('2016-10-06T00:17:09Z stdout F ')?.content, '');
    assert.equal(parseCriLine('2016-10-06T00:17:09Z stdout F héllo ✓')?.content, 'héllo ✓');
    assert.equal(parseCriLine('2016-10-06T00:17:09Z stdout P:x:y a')?.partial, true);
    assert.equal(parseCriLine('2016-10-06T00:17:09Z stdout F:P a')?.partial, false);
    assert.equal(parseCriLine('2016-10-06T00:17:09Z stdout PP a')?.partial, false);
  });

  it('rejects malformed records', () => {
    for (const bad of [
      '',
      'garbage',
      'not-a-time stdout F x',
      '2016-10-06 00:17:09Z stdout F x',
      '2016-13-06T00:17:09Z stdout F x',
      '2016-02-30T00:17:09Z stdout F x',
      '2016-10-06T24:00:00Z stdout F x',
      '2016-10-06T00:17:09 stdout F x',
      '2016-10-06T00:17:09Z stdin F x',
      '2016-10-06T00:17:09Z stdout',
      '2016-10-06T00:17:09Z stdout F',
    ]) {
      assert.equal(parseCriLine(bad), undefined, bad);
    }
  });
});

describe('parseCriTimestamp', () => {
  it('prints the fixed 9-digit form and keeps the offset as Go does', () => {
    assert.equal(parseCriTimestamp('2024-05-01T10:00:00.5Z')?.fixed, '2024-05-01T10:00:00.500000000Z');
    assert.equal(parseCriTimestamp('2024-05-01T10:00:00Z')?.fixed, '2024-05-01T10:00:00.000000000Z');
    assert.equal(parseCriTimestamp('2024-05-01T10:00:00.1234567891234Z')?.fixed, '2024-05-01T10:00:00.123456789Z');
    assert.equal(parseCriTimestamp('2024-05-01T10:00:00.1+00:00')?.fixed, '2024-05-01T10:00:00.100000000Z');
    assert.equal(parseCriTimestamp('2024-05-01T12:00:00.1+02:00')?.fixed, '2024-05-01T12:00:00.100000000+02:00');
  });

  it('computes unix ms, truncating below the millisecond', () => {
    assert.equal(parseCriTimestamp('2024-05-01T10:00:00.123999999Z')?.unixMs, T0 + 123);
    assert.equal(parseCriTimestamp('2024-05-01T12:00:01+02:00')?.unixMs, T0 + 1000);
    assert.equal(parseCriTimestamp('2024-05-01T09:30:00-00:30')?.unixMs, T0);
  });
});

describe('listRotatedLogFiles', () => {
  it('lists rotated files oldest first, same-second suffixes in numeric order, ignoring other names', async () => {
    const p = await fixture({
      '0.log': '',
      '0.log.20240501-100002': '',
      '0.log.20240501-100001.10': '',
      '0.log.20240501-100001': '',
      '0.log.20240501-100001.2': '',
      '0.log.20240501-100000.gz': '',
      '0.log.tmp': '',
      '1.log.20240501-100000': '',
    });
    const names = (await listRotatedLogFiles(p)).map((f) => path.basename(f));
    assert.deepEqual(names, ['0.log.20240501-100001', '0.log.20240501-100001.2', '0.log.20240501-100001.10', '0.log.20240501-100002']);
  });
});

describe('readContainerLogs', () => {
  it('writes nothing for a missing log', async () => {
    assert.equal(await read(path.join(root, 'nowhere', '0.log')), '');
    assert.equal(await read(await fixture()), '');
  });

  it('joins partial records by concatenation and ends full ones with a newline', async () => {
    const p = await fixture({ '0.log': rec(1, 'stdout', 'P', 'hel') + rec(1, 'stdout', 'P', 'lo ') + rec(2, 'stdout', 'F', 'world') + rec(3, 'stderr', 'F', '') });
    assert.equal(await read(p), 'hello world\n\n');
  });

  it('prefixes every record, partial ones too, with its own fixed-width timestamp', async () => {
    const p = await fixture({ '0.log': rec(1, 'stdout', 'P', 'a', '5') + rec(2, 'stdout', 'F', 'b', '123456789') });
    assert.equal(await read(p, { timestamps: true }), '2024-05-01T10:00:01.500000000Z a2024-05-01T10:00:02.123456789Z b\n');
  });

  it('skips malformed records without stopping', async () => {
    const p = await fixture({
      '0.log': 'garbage line\n\n' + rec(1, 'stdout', 'F', 'one') + 'x stdout F bad time\n' + '2024-05-01T10:00:02.000000000Z stdin F bad stream\n' + rec(3, 'stdout', 'F', 'two'),
    });
    assert.equal(await read(p), 'one\ntwo\n');
  });

  it('passes non-UTF-8 bytes through unchanged', async () => {
    const body = Buffer.concat([Buffer.from('2024-05-01T10:00:01Z stdout F '), Buffer.from([0xff, 0xfe, 0x00, 0x41]), Buffer.from('\n')]);
    const p = await fixture({ '0.log': body });
    const chunks: Buffer[] = [];
    await readContainerLogs(p, {}, (c) => void chunks.push(c));
    assert.deepEqual(Buffer.concat(chunks), Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]));
  });

  it('prints an unterminated last record without a newline, but leaves it out of a tail', async () => {
    const p = await fixture({ '0.log': rec(1, 'stdout', 'F', 'a') + rec(2, 'stdout', 'F', 'b') + rec(3, 'stdout', 'F', 'c').trimEnd() });
    assert.equal(await read(p), 'a\nb\nc');
    assert.equal(await read(p, { tailLines: 1 }), 'b\n');
  });

  it('reads rotated files oldest first, then the live one', async () => {
    const p = await fixture({
      '0.log.20240501-100001.1': rec(2, 'stdout', 'F', 'two'),
      '0.log.20240501-100001': rec(1, 'stdout', 'F', 'one'),
      '0.log.20240501-100003': rec(3, 'stdout', 'F', 'three'),
      '0.log': rec(4, 'stdout', 'F', 'four'),
    });
    assert.equal(await read(p), 'one\ntwo\nthree\nfour\n');
  });

  it('tails records across rotated files; partial records count as lines', async () => {
    const p = await fixture({
      '0.log.20240501-100001': rec(1, 'stdout', 'F', 'a') + rec(1, 'stdout', 'F', 'b'),
      '0.log.20240501-100002': rec(2, 'stdout', 'F', 'c') + rec(2, 'stdout', 'P', 'd1-'),
      '0.log': rec(3, 'stdout', 'F', 'd2') + rec(4, 'stdout', 'F', 'e'),
    });
    assert.equal(await read(p, { tailLines: 0 }), '');
    assert.equal(await read(p, { tailLines: 1 }), 'e\n');
    assert.equal(await read(p, { tailLines: 2 }), 'd2\ne\n');
    assert.equal(await read(p, { tailLines: 3 }), 'd1-d2\ne\n');
    assert.equal(await read(p, { tailLines: 5 }), 'b\nc\nd1-d2\ne\n');
    assert.equal(await read(p, { tailLines: 100 }), 'a\nb\nc\nd1-d2\ne\n');
    assert.equal(await read(p, { tailLines: -1 }), 'a\nb\nc\nd1-d2\ne\n');
  });

  it('tails a big file and records longer than a read chunk', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) lines.push(rec(i % 60, i % 2 ? 'stderr' : 'stdout', 'F', `line ${i} ${'x'.repeat(40)}`));
    const long = 'y'.repeat(150_000);
    const p = await fixture({ '0.log': lines.join('') + rec(1, 'stdout', 'F', long) + rec(2, 'stdout', 'F', 'last') });
    assert.equal(await read(p, { tailLines: 2 }), `${long}\nlast\n`);
    const out = await read(p, { tailLines: 12_000 });
    const got = out.split('\n');
    assert.equal(got.length, 12_001);
    assert.equal(got[0], `line 8002 ${'x'.repeat(40)}`);
    assert.equal(got[11_997], `line 19999 ${'x'.repeat(40)}`);
  });

  it('filters by sinceTime at or after, to the nanosecond within the millisecond, after tailing', async () => {
    const p = await fixture({
      '0.log.20240501-100001': rec(1, 'stdout', 'F', 'one') + rec(2, 'stdout', 'F', 'two', '000999999'),
      '0.log': rec(2, 'stdout', 'F', 'three', '001000000') + rec(3, 'stdout', 'F', 'four'),
    });
    assert.equal(await read(p, { sinceTime: T0 + 2000 }), 'two\nthree\nfour\n');
    assert.equal(await read(p, { sinceTime: T0 + 2001 }), 'three\nfour\n');
    assert.equal(await read(p, { sinceTime: T0 + 5000 }), '');
    assert.equal(await read(p, { sinceTime: T0 + 2001, tailLines: 1 }), 'four\n');
    assert.equal(await read(p, { sinceTime: T0 + 3000, tailLines: 3 }), 'four\n');
  });

  it('cuts the output at exactly limitBytes, timestamp prefixes included', async () => {
    const p = await fixture({ '0.log.20240501-100001': rec(1, 'stdout', 'F', 'abcdef'), '0.log': rec(2, 'stdout', 'F', 'ghijkl') });
    assert.equal(await read(p, { limitBytes: 3 }), 'abc');
    assert.equal(await read(p, { limitBytes: 7 }), 'abcdef\n');
    assert.equal(await read(p, { limitBytes: 9 }), 'abcdef\ngh');
    assert.equal(await read(p, { limitBytes: 1000 }), 'abcdef\nghijkl\n');
    assert.equal(await read(p, { limitBytes: 0 }), '');
    assert.equal(await read(p, { limitBytes: 33, timestamps: true }), '2024-05-01T10:00:01.000000000Z ab');
  });

  it('selects one stream; the other neither counts for tail nor uses up limitBytes', async () => {
    const p = await fixture({
      '0.log': rec(1, 'stdout', 'F', 'o1') + rec(1, 'stderr', 'F', 'e1') + rec(2, 'stdout', 'F', 'o2') + rec(2, 'stderr', 'F', 'e2') + rec(3, 'stderr', 'F', 'e3'),
    });
    assert.equal(await read(p, { stream: 'stdout' }), 'o1\no2\n');
    assert.equal(await read(p, { stream: 'stderr' }), 'e1\ne2\ne3\n');
    assert.equal(await read(p, { stream: 'all' }), 'o1\ne1\no2\ne2\ne3\n');
    assert.equal(await read(p, { stream: 'stdout', tailLines: 2 }), 'o1\no2\n');
    assert.equal(await read(p, { stream: 'stdout', limitBytes: 5 }), 'o1\no2');
  });
});

describe('readContainerLogs with follow', () => {
  it('streams appended records, holds back an incomplete one, and ends after draining when done', async () => {
    const p = await fixture({ '0.log': rec(1, 'stdout', 'F', 'a') });
    const f = follow(p);
    await waitForText(f, 'a\n');
    await appendFile(p, rec(2, 'stdout', 'F', 'b') + rec(3, 'stdout', 'P', 'c'));
    await waitForText(f, 'a\nb\nc');
    const half = rec(4, 'stdout', 'F', 'dd');
    await appendFile(p, half.slice(0, 20));
    await appendFile(p, half.slice(20) + rec(5, 'stderr', 'F', 'e'));
    await waitForText(f, 'a\nb\ncdd\ne\n');
    await appendFile(p, rec(6, 'stdout', 'F', 'f'));
    f.done();
    await f.result;
    assert.equal(f.text(), 'a\nb\ncdd\ne\nf\n');
  });

  it('follows across rotations without losing or repeating records', async () => {
    const p = await fixture({ '0.log.20240501-100000': rec(0, 'stdout', 'F', 'r0'), '0.log': rec(1, 'stdout', 'F', 'a') });
    const f = follow(p, { tailLines: 1 });
    await waitForText(f, 'a\n');
    await appendFile(p, rec(2, 'stdout', 'F', 'b'));
    await rename(p, `${p}.20240501-100002`);
    await waitForText(f, 'a\nb\n');
    await writeFile(p, rec(3, 'stdout', 'F', 'c'));
    await waitForText(f, 'a\nb\nc\n');
    // Two rotations back to back, most likely between two polls.
    await appendFile(p, rec(4, 'stdout', 'F', 'd'));
    await rename(p, `${p}.20240501-100004`);
    await writeFile(p, rec(5, 'stdout', 'F', 'e'));
    await rename(p, `${p}.20240501-100004.1`);
    await writeFile(p, rec(6, 'stdout', 'F', 'f'));
    await waitForText(f, 'a\nb\nc\nd\ne\nf\n');
    await rm(`${p}.20240501-100000`);
    await appendFile(p, rec(7, 'stdout', 'F', 'g'));
    f.done();
    await f.result;
    assert.equal(f.text(), 'a\nb\nc\nd\ne\nf\ng\n');
  });

  it('keeps every record exactly once while a writer appends and rotates quickly', async () => {
    const p = await fixture({ '0.log': '' });
    const f = follow(p, {}, { pollMs: 1 });
    let expected = '';
    let rotations = 0;
    for (let i = 0; i < 400; i++) {
      await appendFile(p, rec(i % 60, 'stdout', 'F', `r${i}`));
      expected += `r${i}\n`;
      if (i % 23 === 22) {
        await rename(p, `${p}.20240501-100000${rotations ? `.${rotations}` : ''}`);
        rotations++;
        if (i % 2) await writeFile(p, '');
      }
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitForText(f, expected);
    f.done();
    await f.result;
    assert.equal(f.text(), expected);
  });

  it('waits for a log that does not exist yet', async () => {
    const p = await fixture();
    const f = follow(p, { timestamps: true });
    await appendFile(p, rec(1, 'stdout', 'F', 'late'));
    await waitForText(f, '2024-05-01T10:00:01.000000000Z late\n');
    f.done();
    await f.result;
  });

  it('ends at once for a missing log of a container that is done', async () => {
    const p = await fixture();
    const f = follow(p);
    f.done();
    await f.result;
    assert.equal(f.text(), '');
  });

  it('stops when the signal aborts', async () => {
    const p = await fixture({ '0.log': rec(1, 'stdout', 'F', 'a') });
    const f = follow(p, {}, { pollMs: 60_000 });
    await waitForText(f, 'a\n');
    f.abort();
    await f.result;
    const ac = new AbortController();
    ac.abort();
    const chunks: Buffer[] = [];
    await readContainerLogs(p, { follow: true }, (c) => void chunks.push(c), { signal: ac.signal });
    assert.equal(chunks.length, 0);
  });

  it('stops following once limitBytes is reached', async () => {
    const p = await fixture({ '0.log': rec(1, 'stdout', 'F', 'abc') });
    const f = follow(p, { limitBytes: 6 });
    await waitForText(f, 'abc\n');
    await appendFile(p, rec(2, 'stdout', 'F', 'defg'));
    await f.result;
    assert.equal(f.text(), 'abc\nde');
  });

  it('applies tailLines 0 and sinceTime to what it streams', async () => {
    const p = await fixture({ '0.log': rec(1, 'stdout', 'F', 'old') });
    const f = follow(p, { tailLines: 0, sinceTime: T0 + 3000 });
    // The follower may start after any of these appends; each is streamed or tailed away whole.
    await eventually('streamed records', async () => {
      await appendFile(p, rec(2, 'stdout', 'F', 'early') + rec(3, 'stdout', 'F', 'new'));
      return f.text() === '' ? undefined : true;
    }, 10_000, 10);
    f.done();
    await f.result;
    assert.match(f.text(), /^(new\n)+$/);
  });
});
