/** The fast path's HTTP/1.1 head parser and body framer. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BodyFramer, type Framing, leadingEmptyLines, listHas, maxHeadBytes, parseRequestHead, parseResponseHead, planRequestFraming, responseFraming } from './http1.js';
import { answerText, httpDate, requestHeadText, responseHeadText } from './http1-write.js';

const b = (s: string) => Buffer.from(s, 'latin1');

/** Feeds `body` split at every given point; returns where the framer said the body ends. */
function frame(framing: Framing, bytes: Buffer, cuts: number[]): { end: number; done: boolean; error?: string } {
  const f = new BodyFramer(framing);
  let offset = 0;
  let end = -1;
  const points = [...cuts, bytes.length];
  for (const p of points) {
    const piece = bytes.subarray(offset, p);
    const e = f.feed(piece, 0);
    if (f.error) return { end: offset + e, done: false, error: f.error };
    if (f.done) {
      end = offset + e;
      break;
    }
    assert.equal(e, piece.length, 'an unfinished body takes every byte');
    offset = p;
  }
  return { end, done: f.done };
}

describe('request heads', () => {
  test('parses method, target, version and fields as node:http shapes them', () => {
    const r = parseRequestHead(b('GET /a?b=1 HTTP/1.1\r\nHost: x.test\r\nX-A: 1\r\nx-a:  2 \r\nCookie: a=1\r\ncookie: b=2\r\nSet-Cookie: s\r\nHost: y\r\n\r\nrest'));
    assert.equal(r.kind, 'head');
    if (r.kind !== 'head') return;
    assert.equal(b('GET /a?b=1 HTTP/1.1\r\nHost: x.test\r\nX-A: 1\r\nx-a:  2 \r\nCookie: a=1\r\ncookie: b=2\r\nSet-Cookie: s\r\nHost: y\r\n\r\n').length, r.length);
    assert.deepEqual([r.head.method, r.head.target, r.head.minor], ['GET', '/a?b=1', 1]);
    assert.deepEqual(r.head.headers, { host: 'x.test', 'x-a': '1, 2', cookie: 'a=1; b=2', 'set-cookie': ['s'] });
  });

  test('a head split anywhere is incomplete until its empty line arrives', () => {
    const whole = b('POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc');
    const headLen = whole.indexOf('\r\n\r\n') + 4;
    for (let i = 0; i < headLen; i++) assert.equal(parseRequestHead(whole.subarray(0, i)).kind, 'incomplete', `cut at ${i}`);
    const r = parseRequestHead(whole);
    assert.equal(r.kind === 'head' && r.length, headLen);
  });

  test('leading empty lines are skipped; HTTP/1.0 parses; other versions go to node:http', () => {
    assert.equal(leadingEmptyLines(b('\r\n\r\nGET')), 4);
    const r = parseRequestHead(b('GET / HTTP/1.0\r\n\r\n'));
    assert.equal(r.kind === 'head' && r.head.minor, 0);
    assert.equal(parseRequestHead(b('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')).kind, 'unsupported');
    assert.equal(parseRequestHead(b('GET / HTTP/1.1\nHost: x\n\n')).kind, 'unsupported');
  });

  test('bad input is a 400, an oversized head a 431', () => {
    for (const bad of [
      'GET / HTTP/1.1 extra\r\n\r\n',
      'GET /\r\n\r\n',
      'G(T / HTTP/1.1\r\n\r\n',
      'GET  HTTP/1.1\r\n\r\n',
      'GET / HTTX/1.1\r\n\r\n',
      'GET / HTTP/1.1\r\nBad Name: x\r\n\r\n',
      'GET / HTTP/1.1\r\nName : x\r\n\r\n',
      'GET / HTTP/1.1\r\nNoColon\r\n\r\n',
      'GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n',
      'GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n',
      '\x00\x01\x02\x03\r\n\r\n',
    ]) {
      const r = parseRequestHead(b(bad));
      assert.equal(r.kind === 'error' && r.status, 400, JSON.stringify(bad));
    }
    const big = b(`GET / HTTP/1.1\r\nX: ${'a'.repeat(maxHeadBytes)}\r\n\r\n`);
    assert.equal((parseRequestHead(big) as { status?: number }).status, 431);
    assert.equal((parseRequestHead(big.subarray(0, maxHeadBytes + 1)) as { status?: number }).status, 431);
  });

  test('framing and fast-path eligibility', () => {
    const plan = (s: string) => {
      const r = parseRequestHead(b(s));
      assert.equal(r.kind, 'head');
      return planRequestFraming((r as Extract<typeof r, { kind: 'head' }>).head);
    };
    assert.deepEqual(plan('GET / HTTP/1.1\r\n\r\n'), { kind: 'fast', framing: { kind: 'none' }, keepAlive: true });
    assert.deepEqual(plan('GET / HTTP/1.1\r\nConnection: Close\r\n\r\n'), { kind: 'fast', framing: { kind: 'none' }, keepAlive: false });
    assert.deepEqual(plan('POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n'), { kind: 'fast', framing: { kind: 'length', length: 5 }, keepAlive: true });
    assert.deepEqual(plan('POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n'), { kind: 'fast', framing: { kind: 'chunked' }, keepAlive: true });
    for (const s of [
      'GET / HTTP/1.0\r\n\r\n',
      'GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      'POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n',
      'POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n',
      'CONNECT h:443 HTTP/1.1\r\n\r\n',
      'GET http://h/ HTTP/1.1\r\n\r\n',
      'OPTIONS * HTTP/1.1\r\n\r\n',
    ])
      assert.equal(plan(s).kind, 'unsupported', s);
    assert.equal(plan('POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n').kind, 'error');
    assert.equal(plan('POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n').kind, 'error');
  });
});

describe('response heads', () => {
  test('status, fields and framing', () => {
    const r = parseResponseHead(b('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
    assert.equal(r.kind, 'head');
    if (r.kind !== 'head') return;
    assert.equal(r.head.status, 200);
    assert.ok(listHas(r.head.headers.connection, 'close'));
    assert.deepEqual(responseFraming(r.head, 'GET'), { kind: 'length', length: 2 });
    assert.deepEqual(responseFraming(r.head, 'HEAD'), { kind: 'none' });
    const head = (s: string) => (parseResponseHead(b(s)) as Extract<ReturnType<typeof parseResponseHead>, { kind: 'head' }>).head;
    assert.deepEqual(responseFraming(head('HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n'), 'GET'), { kind: 'none' });
    assert.deepEqual(responseFraming(head('HTTP/1.1 304 Not Modified\r\n\r\n'), 'GET'), { kind: 'none' });
    assert.deepEqual(responseFraming(head('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n'), 'GET'), { kind: 'chunked' });
    assert.deepEqual(responseFraming(head('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'), 'GET'), { kind: 'close' });
    assert.deepEqual(responseFraming(head('HTTP/1.0 200 OK\r\n\r\n'), 'GET'), { kind: 'close' });
    assert.equal(typeof responseFraming(head('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n'), 'GET'), 'string');
    assert.equal(head('HTTP/1.1 200\r\n\r\n').status, 200);
    assert.equal(parseResponseHead(b('HTTP/2 200 OK\r\n\r\n')).kind, 'error');
    assert.equal(parseResponseHead(b('garbage\r\n\r\n')).kind, 'error');
  });
});

describe('body framer', () => {
  const chunked = b('5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: t\r\n\r\nNEXT');
  const bodyEnd = chunked.length - 4;

  test('a chunked body split at every point (and at every pair of points) ends in the same place', () => {
    for (let i = 0; i <= chunked.length; i++) assert.deepEqual(frame({ kind: 'chunked' }, chunked, [i]), { end: bodyEnd, done: true }, `cut ${i}`);
    for (let i = 0; i <= chunked.length; i += 3) for (let j = i; j <= chunked.length; j += 5) assert.equal(frame({ kind: 'chunked' }, chunked, [i, j]).end, bodyEnd);
    const bytewise = Array.from({ length: chunked.length }, (_, i) => i);
    assert.equal(frame({ kind: 'chunked' }, chunked, bytewise).end, bodyEnd);
  });

  test('Content-Length, none and close-delimited bodies', () => {
    assert.deepEqual(frame({ kind: 'length', length: 5 }, b('helloNEXT'), [2]), { end: 5, done: true });
    const none = new BodyFramer({ kind: 'none' });
    assert.equal(none.done, true);
    assert.equal(none.feed(b('x'), 0), 0);
    const close = new BodyFramer({ kind: 'close' });
    assert.equal(close.feed(b('abc'), 1), 3);
    assert.equal(close.done, false);
  });

  test('invalid chunked bodies are errors, never exceptions', () => {
    for (const bad of ['x\r\n', '\r\n', '5\r\nhelloX\r\n', '5\r\nhello\r\r', '1234567890abc\r\n', '0\r\n\n', '0\r\nT\nx', '5\nhello'])
      assert.ok(frame({ kind: 'chunked' }, b(bad), []).error, JSON.stringify(bad));
    const f = new BodyFramer({ kind: 'chunked' });
    assert.ok(f.feed(b(`1;${'e'.repeat(5000)}\r\n`), 0) >= 0);
    assert.ok(f.error);
  });
});

describe('heads written', () => {
  test('upstream request, response and own answers', () => {
    assert.equal(requestHeadText('POST', '/x', { host: 'h', 'set-cookie': ['a', 'b'] }, { kind: 'chunked' }), 'POST /x HTTP/1.1\r\nhost: h\r\nset-cookie: a\r\nset-cookie: b\r\ntransfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n');
    assert.equal(responseHeadText(404, { date: 'd', 'content-length': '0' }, { kind: 'none' }, false), 'HTTP/1.1 404 Not Found\r\ndate: d\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    assert.match(responseHeadText(200, {}, { kind: 'chunked' }, true), /^HTTP\/1\.1 200 OK\r\ndate: .+ GMT\r\ntransfer-encoding: chunked\r\nconnection: keep-alive\r\nkeep-alive: timeout=75\r\n\r\n$/);
    const a = answerText(503, 'body', {}, true, false);
    assert.match(a, /^HTTP\/1\.1 503 Service Unavailable\r\ncontent-type: text\/html\r\ncontent-length: 4\r\n/);
    assert.ok(a.endsWith('\r\n\r\nbody'));
    assert.ok(answerText(503, 'body', {}, true, true).endsWith('\r\n\r\n'));
    assert.equal(httpDate(0), 'Thu, 01 Jan 1970 00:00:00 GMT');
  });
});
