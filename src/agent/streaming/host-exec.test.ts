import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { scriptArgs, shellQuote, startHostExec } from './host-exec.js';

const collect = (r: Readable | undefined) =>
  new Promise<string>((resolve) => {
    if (!r) return resolve('');
    let s = '';
    r.on('data', (d: Buffer) => (s += d.toString()));
    r.on('close', () => resolve(s));
  });

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

test('argv is quoted so that the shell under script passes every word unchanged', () => {
  assert.equal(shellQuote(['echo', 'a b', "it's", '$HOME', 'plain-1.txt']), `echo 'a b' 'it'\\''s' '$HOME' plain-1.txt`);
  assert.deepEqual(scriptArgs(['tty']), ['-qfec', 'exec tty', '/dev/null']);
});

test('without a TTY the command gets pipes: stdin in, stdout and stderr apart, the exit code out', async () => {
  const p = startHostExec({ file: '/bin/sh', argv: ['sh', '-c', 'cat; echo oops >&2; exit 3'], env, cwd: '/', tty: false, stdin: true });
  const [out, err] = [collect(p.stdout), collect(p.stderr)];
  p.stdin!.end('hello\n');
  assert.equal(await p.exited, 3);
  assert.equal(await out, 'hello\n');
  assert.equal(await err, 'oops\n');
});

test('with a TTY the command runs on a terminal and end of input reaches it', async (t) => {
  const p = startHostExec({ file: '', argv: ['sh', '-c', 'test -t 0 && echo on-a-tty; cat >/dev/null; exit 4'], env, cwd: '/', tty: true, stdin: true });
  assert.equal(p.stderr, undefined);
  const out = collect(p.stdout);
  p.stdin!.end();
  const code = await p.exited;
  if (code === 126) return t.skip('util-linux script is not installed');
  assert.equal(code, 4);
  assert.match(await out, /on-a-tty/);
});

test('kill ends the command and what it started', async () => {
  const p = startHostExec({ file: '/bin/sh', argv: ['sh', '-c', 'sleep 30 & wait'], env, cwd: '/', tty: false, stdin: false });
  p.kill();
  assert.equal(await p.exited, 137);
});
