import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrk } from './http-load.js';

const sample = `Running 10s test @ http://127.0.0.1:8080/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.61ms    2.90ms  51.20ms   96.33%
    Req/Sec    11.51k     1.20k   14.02k    70.50%
  Latency Distribution
     50%  850.00us
     75%    1.20ms
     90%    2.10ms
     99%    1.02s
  229012 requests in 10.01s, 25.77MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  22874.46
Transfer/sec:      2.57MB
`;

test('parseWrk reads requests/s, percentiles in any unit, and errors', () => {
  assert.deepEqual(parseWrk(sample), { rps: 22874.46, p50: 0.85, p99: 1020, requests: 229012, errors: 6 });
});

test('parseWrk counts no errors when wrk reports none', () => {
  const clean = sample.replace(/ {2}Non-2xx.*\n/, '').replace(/ {2}Socket errors.*\n/, '');
  assert.equal(parseWrk(clean).errors, 0);
});

test('parseWrk refuses output without a latency distribution', () => {
  assert.throws(() => parseWrk('Requests/sec: 1\n  1 requests in 1s\n'), /no 50% latency/);
});
