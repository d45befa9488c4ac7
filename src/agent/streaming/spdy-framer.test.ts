import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { constants as zc, createDeflate, inflateSync } from 'node:zlib';
import {
  FLAG_FIN,
  FrameDecoder,
  FrameType,
  HeaderDeflater,
  HeaderInflater,
  SPDY_DICTIONARY,
  decodeHeaderBlock,
  encodeData,
  encodeGoAway,
  encodeHeaderBlock,
  encodeSynReply,
  frameStreamId,
} from './spdy-framer.js';

test('the header dictionary is SPDY/3’s, byte for byte', () => {
  assert.equal(SPDY_DICTIONARY.length, 1423);
  assert.equal(createHash('sha256').update(SPDY_DICTIONARY).digest('hex'), '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
});

test('header blocks round-trip with lower-case names and NUL-joined values', () => {
  const block = encodeHeaderBlock({ streamType: ['stdout'], port: ['8080'], multi: ['a', 'b'] });
  assert.deepEqual({ ...decodeHeaderBlock(block) }, { streamtype: ['stdout'], port: ['8080'], multi: ['a', 'b'] });
  assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 1)));
});

test('frames split across chunks decode whole; data and control frames keep their fields', () => {
  const bytes = Buffer.concat([encodeData(3, Buffer.from('hello'), true), encodeGoAway(5), encodeSynReply(7, Buffer.from([1, 2]))]);
  const dec = new FrameDecoder();
  const frames = [...dec.push(bytes.subarray(0, 5)), ...dec.push(bytes.subarray(5, 20)), ...dec.push(bytes.subarray(20))];
  assert.equal(frames.length, 3);
  const [data, goAway, reply] = frames;
  assert.ok(data!.kind === 'data' && data.streamId === 3 && data.flags === FLAG_FIN && data.data.toString() === 'hello');
  assert.ok(goAway!.kind === 'control' && goAway.type === FrameType.goAway && frameStreamId(goAway.payload) === 5);
  assert.ok(reply!.kind === 'control' && reply.type === FrameType.synReply && frameStreamId(reply.payload) === 7);
});

test('the deflater’s blocks form one zlib stream that a reader takes block by block', () => {
  const d = new HeaderDeflater();
  const blocks = [encodeHeaderBlock({}), encodeHeaderBlock({ a: ['1'] }), encodeHeaderBlock({ big: ['x'.repeat(70_000)] })];
  let stream = Buffer.alloc(0);
  for (const b of blocks) {
    stream = Buffer.concat([stream, d.compress(b)]);
    // Everything written so far decodes to all the blocks so far.
    const out = inflateSync(stream, { finishFlush: zc.Z_SYNC_FLUSH });
    assert.ok(out.subarray(out.length - b.length).equals(b));
  }
});

test('the inflater reads blocks a peer compressed with the SPDY dictionary, in order', async () => {
  const z = createDeflate({ dictionary: SPDY_DICTIONARY });
  const compressed: Buffer[] = [];
  const compress = (b: Buffer) =>
    new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      const on = (c: Buffer) => parts.push(c);
      z.on('data', on);
      z.write(b);
      z.flush(zc.Z_SYNC_FLUSH, () => {
        z.off('data', on);
        resolve(Buffer.concat(parts));
      });
    });
  const blocks = [encodeHeaderBlock({ streamtype: ['error'] }), encodeHeaderBlock({ streamtype: ['data'], port: ['80'], requestid: ['0'] })];
  for (const b of blocks) compressed.push(await compress(b));
  z.close();
  const inf = new HeaderInflater();
  const [first, second] = await Promise.all(compressed.map((c) => inf.inflate(c)));
  inf.close();
  assert.deepEqual(decodeHeaderBlock(first!).streamtype, ['error']);
  assert.deepEqual(decodeHeaderBlock(second!).port, ['80']);
});
