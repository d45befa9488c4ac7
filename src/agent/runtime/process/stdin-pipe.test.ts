import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { wrapperArgv } from './exit-status.js';
import { closeFd, makeFifos } from './log-pump.js';
import { closeContainerStdin, hasStdinPipe, openContainerStdin, openStdinWriter } from './stdin-pipe.js';

test('containers with stdin or a TTY get a stdin FIFO; the wrapper learns its close FIFO', () => {
  assert.equal(hasStdinPipe({ stdin: true }), true);
  assert.equal(hasStdinPipe({ tty: true }), true);
  assert.equal(hasStdinPipe({}), false);
  assert.deepEqual(wrapperArgv('/s/exit', undefined, '/bin/cat', ['-u'], '/s/stdin-close').slice(3), ['/s/exit', '', '/s/stdin-close', '/bin/cat', '-u']);
  assert.deepEqual(wrapperArgv('/s/exit', '/w', '/bin/true', []).slice(3), ['/s/exit', '=/w', '', '/bin/true']);
});

test('a writer reaches the reader; without a reader there is no writer, and closing stdin gives up', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-stdin-'));
  try {
    const fifo = path.join(dir, 'stdin');
    const close = path.join(dir, 'stdin-close');
    await makeFifos([fifo, close]);
    assert.equal(openStdinWriter(fifo), undefined, 'nothing reads it yet');
    await closeContainerStdin(close, 2);

    const { keep, read } = openContainerStdin(fifo);
    const got: Buffer[] = [];
    const reader = createReadStream('', { fd: read });
    const ended = new Promise<void>((r) => reader.on('end', () => r()));
    reader.on('data', (c) => got.push(c as Buffer));
    const w = openStdinWriter(fifo);
    assert.ok(w);
    await new Promise<void>((r) => w.end('hello\n', () => r()));
    // Only when the last writer (the keeper's end) goes does the reader see the end.
    closeFd(keep);
    await ended;
    assert.equal(Buffer.concat(got).toString(), 'hello\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
