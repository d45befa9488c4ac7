import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { StatusError } from '../../api/errors.js';
import { agentConnectPath, forwardedHeaders, isConnectSubresource, parseStreamOptions } from './pod-connect.js';

test('exec options: stdout and stderr are always defaulted on, unless the query is empty', () => {
  const q = new URLSearchParams('container=c&stdin=true&tty=1&stdout=false&command=sh&command=-c&command=exit 3');
  assert.deepEqual(parseStreamOptions(q), { stdin: true, stdout: true, stderr: true, tty: true, container: 'c', command: ['sh', '-c', 'exit 3'] });
  assert.deepEqual(parseStreamOptions(new URLSearchParams()), { stdin: false, stdout: false, stderr: false, tty: false, command: [] });
  assert.throws(() => parseStreamOptions(new URLSearchParams('stdin=yes')), (e: unknown) => e instanceof StatusError && e.code === 400 && /ParseBool/.test(e.message));
});

test('the agent path follows the kubelet’s: input/output/error/tty and repeated command', () => {
  const o = { stdin: true, stdout: true, stderr: true, tty: false, command: ['ls', '-l /'] };
  assert.equal(agentConnectPath('exec', 'ns', 'p', 'c', o), '/exec/ns/p/c?input=1&output=1&error=1&command=ls&command=-l+%2F');
  assert.equal(agentConnectPath('attach', 'ns', 'p', 'c', { ...o, stdin: false, command: [] }), '/attach/ns/p/c?output=1&error=1');
  assert.equal(agentConnectPath('portforward', 'ns', 'p', undefined, undefined), '/portForward/ns/p');
  assert.ok(isConnectSubresource('portforward') && !isConnectSubresource('log'));
});

test('the client’s credentials stay with the API server; upgrade headers go on', () => {
  const req = {
    headers: { authorization: 'Bearer secret', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-protocol': 'v5.channel.k8s.io', host: 'api:6443' },
    socket: { remoteAddress: '10.0.0.9' },
  } as unknown as IncomingMessage;
  const h = forwardedHeaders(req, { host: '127.0.0.1', port: 10250 });
  assert.equal(h.authorization, undefined);
  assert.equal(h.host, '127.0.0.1:10250');
  assert.equal(h.upgrade, 'websocket');
  assert.equal(h['sec-websocket-protocol'], 'v5.channel.k8s.io');
  assert.equal(h['x-forwarded-for'], '10.0.0.9');
});
