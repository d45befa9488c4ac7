import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError } from '../runtime/runtime.js';
import { BadStreamRequest, execStartFailure, exitCodeStatus, internalErrorStatus, parseRemoteCommandOptions, remoteCommandQuery, successStatus } from './remote-command.js';
import { encodeStatus, parseResize } from './ws-channels.js';
import { expectedStreamTypes } from './spdy-streams.js';

test('the kubelet’s query becomes options; a TTY drops stderr; some stream is required', () => {
  const q = new URLSearchParams('input=1&output=1&error=1&tty=1&command=sh&command=-c&command=exit 3');
  assert.deepEqual(parseRemoteCommandOptions(q), { stdin: true, stdout: true, stderr: false, tty: true, command: ['sh', '-c', 'exit 3'] });
  assert.equal(parseRemoteCommandOptions(new URLSearchParams('output=1&error=true')).stderr, false);
  assert.throws(() => parseRemoteCommandOptions(new URLSearchParams('command=ls')), BadStreamRequest);
  const o = { stdin: false, stdout: true, stderr: true, tty: false, command: ['ls', '/'] };
  assert.deepEqual(parseRemoteCommandOptions(new URLSearchParams(remoteCommandQuery(o))), o);
});

test('a non-zero exit is a NonZeroExitCode Status carrying the code as an ExitCode cause', () => {
  const s = exitCodeStatus(['sh', '-c', 'exit 3'], 3);
  assert.equal(s.status, 'Failure');
  assert.equal(s.reason, 'NonZeroExitCode');
  assert.deepEqual(s.details, { causes: [{ reason: 'ExitCode', message: '3' }] });
  assert.equal(s.message, 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3');
  assert.deepEqual(successStatus(), { metadata: {}, status: 'Success' });
  const internal = internalErrorStatus('error executing command in container: boom');
  assert.equal(internal.code, 500);
  assert.equal(internal.message, 'Internal error occurred: error executing command in container: boom');
});

test('a command that cannot start is worded as containerd’s OCI exec failure', () => {
  const m = execStartFailure(new RuntimeError('RunContainerError', 'exec: "nope": executable file not found in $PATH'));
  assert.match(m, /^failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in \$PATH: unknown$/);
  assert.equal(execStartFailure(new Error('plain')), 'plain');
});

test('the error channel carries JSON from v4 on, and only a failure’s message before', () => {
  const fail = exitCodeStatus(['false'], 1);
  assert.deepEqual(JSON.parse(encodeStatus(fail, 5)!.toString()), fail);
  assert.deepEqual(JSON.parse(encodeStatus(successStatus(), 4)!.toString()), { metadata: {}, status: 'Success' });
  assert.equal(encodeStatus(successStatus(), 3), undefined);
  assert.equal(encodeStatus(fail, 2)!.toString(), fail.message);
});

test('resize messages are parsed one per line; malformed ones are skipped', () => {
  assert.deepEqual(parseResize(Buffer.from('{"Width":80,"Height":24}\n{"Width":100,"Height":30}\nnot json\n{"Width":"x"}')), [
    { width: 80, height: 24 },
    { width: 100, height: 30 },
  ]);
});

test('SPDY sessions wait for the streams the options imply; resize only from v3 with a TTY', () => {
  assert.deepEqual(expectedStreamTypes(4, { stdin: true, stdout: true, stderr: false, tty: true }), ['error', 'stdin', 'stdout', 'resize']);
  assert.deepEqual(expectedStreamTypes(2, { stdin: true, stdout: true, stderr: false, tty: true }), ['error', 'stdin', 'stdout']);
  assert.deepEqual(expectedStreamTypes(4, { stdin: false, stdout: true, stderr: true, tty: false }), ['error', 'stdout', 'stderr']);
});
