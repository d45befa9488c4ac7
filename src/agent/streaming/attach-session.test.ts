import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, type Writable } from 'node:stream';
import type { ContainerAttachment } from '../runtime/runtime.js';
import { attachInputEnd, serveAttach, type AttachSource } from './attach-session.js';
import type { RemoteCommandStreams, StreamStatus, TerminalSize } from './remote-command.js';

test('the end of input closes a stdinOnce container’s stdin unless it has a TTY; else it ends the session', () => {
  assert.equal(attachInputEnd({ stdinOnce: true, tty: false }), 'close-stdin');
  assert.equal(attachInputEnd({ stdinOnce: true, tty: true }), 'end-session');
  assert.equal(attachInputEnd({ stdinOnce: false, tty: false }), 'end-session');
  assert.equal(attachInputEnd({ stdinOnce: false, tty: true }), 'end-session');
});

/** The client's side: stdin to write, output collected, the final Status and resizes recorded. */
function client(opts: { stdin: boolean; stderr?: boolean }) {
  const ac = new AbortController();
  const resizers: ((s: TerminalSize) => void)[] = [];
  let status: StreamStatus | undefined;
  const stdin = opts.stdin ? new PassThrough() : undefined;
  const stdout = new PassThrough();
  const stderr = opts.stderr ? new PassThrough() : undefined;
  const streams: RemoteCommandStreams = {
    stdin,
    stdout,
    stderr,
    onResize: (l) => resizers.push(l),
    signal: ac.signal,
    finish: async (s) => {
      status = s;
    },
  };
  return { streams, input: stdin!, abort: () => ac.abort(), resize: (s: TerminalSize) => resizers.forEach((l) => l(s)), status: () => status };
}

/** A container: what attach wrote to its stdin, whether stdin was closed, the resizes, and an exit to trigger. */
function container(opts: { tty?: boolean; stdinOnce?: boolean; hasStdin?: boolean; fail?: string }) {
  const written: Buffer[] = [];
  const rec = { closed: false, sizes: [] as [number, number][], followedStderr: false, aborted: false, stdinEnded: false };
  let exit!: () => void;
  const exited = new Promise<void>((r) => (exit = r));
  const source: AttachSource = {
    tty: !!opts.tty,
    stdinOnce: !!opts.stdinOnce,
    async attach(stdin: boolean): Promise<ContainerAttachment> {
      if (opts.fail) throw new Error(opts.fail);
      let w: Writable | undefined;
      if (stdin && opts.hasStdin !== false) {
        const p = new PassThrough();
        p.on('data', (c: Buffer) => written.push(c));
        p.on('finish', () => (rec.stdinEnded = true));
        w = p;
      }
      return {
        stdin: w,
        closeStdin: async () => {
          rec.closed = true;
        },
        resize: (width, height) => rec.sizes.push([width, height]),
      };
    },
    async follow(out, signal, positioned) {
      rec.followedStderr = !!out.stderr;
      out.stdout?.write('output\n');
      positioned();
      await Promise.race([exited, new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }))]);
      rec.aborted = signal.aborted;
    },
  };
  return { source, rec, exit, input: () => Buffer.concat(written).toString() };
}

const tick = () => new Promise((r) => setImmediate(r));

test('stdinOnce without a TTY: input reaches the container, its end closes stdin, the session lasts until the exit', async () => {
  const c = client({ stdin: true, stderr: true });
  const k = container({ stdinOnce: true });
  const done = serveAttach(c.streams, k.source);
  await tick();
  c.input.end('hello\n');
  await tick();
  assert.equal(k.input(), 'hello\n');
  assert.equal(k.rec.closed, true);
  assert.equal(k.rec.stdinEnded, true);
  assert.equal(c.status(), undefined, 'still attached');
  k.exit();
  await done;
  assert.deepEqual(c.status(), { metadata: {}, status: 'Success' });
  assert.equal(k.rec.followedStderr, true);
  assert.equal(k.rec.aborted, false);
});

test('without stdinOnce the end of input ends the session and leaves the container’s stdin open', async () => {
  const c = client({ stdin: true });
  const k = container({});
  const done = serveAttach(c.streams, k.source);
  await tick();
  c.input.end('x');
  await done;
  assert.equal(k.input(), 'x');
  assert.equal(k.rec.closed, false);
  assert.equal(k.rec.aborted, true);
  assert.equal(c.status()?.status, 'Success');
});

test('a TTY container: resizes reach its terminal, stderr is not followed, stdinOnce does not close stdin', async () => {
  const c = client({ stdin: true, stderr: true });
  const k = container({ tty: true, stdinOnce: true });
  const done = serveAttach(c.streams, k.source);
  await tick();
  c.resize({ width: 120, height: 40 });
  c.input.end();
  await done;
  assert.deepEqual(k.rec.sizes, [[120, 40]]);
  assert.equal(k.rec.followedStderr, false);
  assert.equal(k.rec.closed, false);
});

test('input to a container without stdin is read and dropped; the session lasts until the exit', async () => {
  const c = client({ stdin: true });
  const k = container({ hasStdin: false, stdinOnce: true });
  const done = serveAttach(c.streams, k.source);
  await tick();
  c.input.end('ignored');
  await tick();
  assert.equal(c.status(), undefined);
  k.exit();
  await done;
  assert.equal(k.input(), '');
  assert.equal(c.status()?.status, 'Success');
});

test('a lost connection closes a stdinOnce container’s stdin and writes no Status', async () => {
  const c = client({ stdin: true });
  const k = container({ stdinOnce: true });
  const done = serveAttach(c.streams, k.source);
  await tick();
  c.abort();
  await done;
  assert.equal(k.rec.closed, true);
  assert.equal(c.status(), undefined);
});

test('a runtime that cannot attach answers an InternalError Status', async () => {
  const c = client({ stdin: true });
  const k = container({ fail: 'container is in CONTAINER_EXITED state' });
  await serveAttach(c.streams, k.source);
  assert.equal(c.status()?.message, 'Internal error occurred: error attaching to container: container is in CONTAINER_EXITED state');
});
