import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { FrameDecoder, Opcode, ProtocolError, WebSocketConnection, acceptKey, encodeFrame, handshake, headerList, isWebSocketRequest } from './websocket.js';

const req = (headers: Record<string, string | string[]>, method = 'GET') => ({ method, headers }) as unknown as IncomingMessage;
const wsHeaders = { upgrade: 'websocket', connection: 'keep-alive, Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' };

test('the accept key is the one RFC 6455 gives for its sample nonce', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('a WebSocket request needs Upgrade: websocket and a Connection listing upgrade', () => {
  assert.equal(isWebSocketRequest(req(wsHeaders)), true);
  assert.equal(isWebSocketRequest(req({ ...wsHeaders, connection: 'keep-alive' })), false);
  assert.equal(isWebSocketRequest(req({ ...wsHeaders, upgrade: 'SPDY/3.1' })), false);
  assert.deepEqual(headerList(['a, b', 'c']), ['a', 'b', 'c']);
});

test('the handshake picks the client’s first supported sub-protocol and refuses when none fits', () => {
  const ok = handshake(req({ ...wsHeaders, 'sec-websocket-protocol': 'v9.channel.k8s.io, v5.channel.k8s.io, v4.channel.k8s.io' }), ['v4.channel.k8s.io', 'v5.channel.k8s.io']);
  assert.ok(ok.ok);
  assert.equal(ok.protocol, 'v5.channel.k8s.io');
  assert.match(ok.response, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(ok.response, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  assert.match(ok.response, /Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n$/);
  const none = handshake(req({ ...wsHeaders, 'sec-websocket-protocol': 'v9' }), ['v4.channel.k8s.io']);
  assert.equal(none.ok, false);
  const noProtocol = handshake(req(wsHeaders), ['', 'v4.channel.k8s.io']);
  assert.ok(noProtocol.ok);
  assert.doesNotMatch(noProtocol.response, /Sec-WebSocket-Protocol/);
  assert.equal(handshake(req(wsHeaders, 'POST'), ['']).ok, false);
  assert.equal(handshake(req({ ...wsHeaders, 'sec-websocket-version': '8' }), ['']).ok, false);
});

test('frames of every length encoding round-trip, masked, and split across chunks', () => {
  const mask = Buffer.from([1, 2, 3, 4]);
  for (const size of [0, 5, 125, 126, 65535, 65536, 200_000]) {
    const payload = Buffer.alloc(size, 7);
    const bytes = encodeFrame(Opcode.Binary, payload, true, mask);
    const dec = new FrameDecoder();
    const frames = [...dec.push(bytes.subarray(0, 3)), ...dec.push(bytes.subarray(3))];
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.opcode, Opcode.Binary);
    assert.ok(frames[0]!.payload.equals(payload), `size ${size}`);
  }
  const two = Buffer.concat([encodeFrame(Opcode.Text, Buffer.from('a'), true, mask), encodeFrame(Opcode.Ping, Buffer.from('p'), true, mask)]);
  assert.deepEqual(new FrameDecoder().push(two).map((f) => [f.opcode, f.payload.toString()]), [[Opcode.Text, 'a'], [Opcode.Ping, 'p']]);
});

test('the decoder refuses unmasked client frames, fragmented or long control frames and oversized payloads', () => {
  assert.throws(() => new FrameDecoder().push(encodeFrame(Opcode.Binary, Buffer.from('x'))), ProtocolError);
  const mask = Buffer.alloc(4);
  assert.throws(() => new FrameDecoder().push(encodeFrame(Opcode.Ping, Buffer.alloc(126), true, mask)), ProtocolError);
  assert.throws(() => new FrameDecoder().push(encodeFrame(Opcode.Close, Buffer.alloc(2), false, mask)), ProtocolError);
  assert.throws(() => new FrameDecoder(true, 10).push(encodeFrame(Opcode.Binary, Buffer.alloc(11), true, mask)), (e: unknown) => e instanceof ProtocolError && e.closeCode === 1009);
});

test('a connection joins fragments, answers pings, and echoes the peer’s close', async () => {
  const socket = new PassThrough();
  const written: Buffer[] = [];
  socket.write = ((chunk: Buffer) => {
    written.push(chunk);
    return true;
  }) as typeof socket.write;
  const messages: string[] = [];
  let closed: number | undefined;
  new WebSocketConnection(socket, { onMessage: (d) => messages.push(d.toString()), onClose: (code) => (closed = code) });
  const mask = Buffer.from([9, 8, 7, 6]);
  socket.emit('data', encodeFrame(Opcode.Binary, Buffer.from('hel'), false, mask));
  socket.emit('data', encodeFrame(Opcode.Ping, Buffer.from('hb'), true, mask));
  socket.emit('data', encodeFrame(Opcode.Continuation, Buffer.from('lo'), true, mask));
  assert.deepEqual(messages, ['hello']);
  const out = new FrameDecoder(false).push(Buffer.concat(written));
  assert.deepEqual(out.map((f) => [f.opcode, f.payload.toString()]), [[Opcode.Pong, 'hb']]);
  const close = Buffer.alloc(2);
  close.writeUInt16BE(1000);
  socket.emit('data', encodeFrame(Opcode.Close, close, true, mask));
  assert.equal(closed, 1000);
  const after = new FrameDecoder(false).push(Buffer.concat(written));
  assert.equal(after.at(-1)!.opcode, Opcode.Close);
});
