import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { ApiClient } from '../client/api-client.js';
import { FakeClock } from '../client/clock.js';
import { ApiEventRecorder } from './events.js';

/** A fake API answering event creates and patches, recording them. */
async function fakeApi(): Promise<{ server: Server; url: string; calls: { method: string; url: string; body: Record<string, unknown> }[] }> {
  const calls: { method: string; url: string; body: Record<string, unknown> }[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let s = '';
    for await (const c of req) s += c;
    const body = s ? (JSON.parse(s) as Record<string, unknown>) : {};
    calls.push({ method: req.method!, url: req.url!, body });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${addr.port}`, calls };
}

test('identical events within the window bump count with a PATCH; others create', async () => {
  const api = await fakeApi();
  const client = new ApiClient({ server: api.url });
  const clock = new FakeClock(Date.parse('2024-05-01T00:00:00Z'));
  const rec = new ApiEventRecorder(client, { component: 'replicaset-controller', clock, dedupeWindowMs: 60_000 });
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'ns', uid: 'u1' } };
  try {
    rec.event(rs, 'Warning', 'FailedCreate', 'Error creating: quota');
    clock.step(5000);
    rec.event(rs, 'Warning', 'FailedCreate', 'Error creating: quota');
    rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-abcde');
    clock.step(120_000);
    rec.event(rs, 'Warning', 'FailedCreate', 'Error creating: quota');
    await rec.close();
    assert.deepEqual(api.calls.map((c) => c.method), ['POST', 'PATCH', 'POST', 'POST']);
    const first = api.calls[0]!;
    assert.equal(first.url, '/api/v1/namespaces/ns/events');
    assert.deepEqual(first.body.involvedObject, { kind: 'ReplicaSet', name: 'web', apiVersion: 'apps/v1', namespace: 'ns', uid: 'u1' });
    assert.deepEqual(first.body.source, { component: 'replicaset-controller' });
    assert.equal(first.body.count, 1);
    assert.equal(first.body.firstTimestamp, '2024-05-01T00:00:00Z');
    assert.equal(first.body.reportingComponent, 'replicaset-controller');
    const name = (first.body.metadata as { name: string }).name;
    assert.match(name, /^web\.[0-9a-f]+$/);
    assert.equal(api.calls[1]!.url, `/api/v1/namespaces/ns/events/${name}`);
    assert.deepEqual(api.calls[1]!.body, { count: 2, lastTimestamp: '2024-05-01T00:00:05Z', message: 'Error creating: quota' });
  } finally {
    client.close();
    await new Promise((r) => api.server.close(r));
  }
});

test('events about cluster-scoped objects go to the default namespace', async () => {
  const api = await fakeApi();
  const client = new ApiClient({ server: api.url });
  const rec = new ApiEventRecorder(client, { component: 'c', clock: new FakeClock(0) });
  try {
    rec.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }, 'Normal', 'R', 'm');
    await rec.close();
    assert.equal(api.calls[0]!.url, '/api/v1/namespaces/default/events');
  } finally {
    client.close();
    await new Promise((r) => api.server.close(r));
  }
});

test('similar events are combined after 10, and each object gets a burst of 25', async () => {
  const api = await fakeApi();
  const client = new ApiClient({ server: api.url });
  const clock = new FakeClock(Date.parse('2024-05-01T00:00:00Z'));
  const rec = new ApiEventRecorder(client, { component: 'replicaset-controller', clock });
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'ns', uid: 'u1' } };
  try {
    for (let i = 0; i < 40; i++) rec.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: web-${i}`);
    await rec.close();
    // 9 distinct events, then one combined event counted up to the 25-event burst.
    assert.equal(api.calls.length, 25);
    assert.deepEqual(api.calls.slice(0, 10).map((c) => c.method), [...Array(10).fill('POST')]);
    assert.equal(api.calls[9]!.body.message, '(combined from similar events): Created pod: web-9');
    assert.deepEqual(api.calls.slice(10).map((c) => c.method), [...Array(15).fill('PATCH')]);
    assert.equal(api.calls[24]!.body.count, 16);
  } finally {
    client.close();
    await new Promise((r) => api.server.close(r));
  }
});
