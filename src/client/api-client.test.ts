import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusError, notFoundError } from '../api/errors.js';
import { ApiClient } from './api-client.js';
import { loadKubeconfig } from './client-config.js';

const deployments = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true };
const nodes = { group: '', version: 'v1', plural: 'nodes', namespaced: false };

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('ApiClient', () => {
  let server: Server;
  let client: ApiClient;
  const seen: Seen[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void = () => {};

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = new ApiClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'secret' });
  });
  after(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const json = (code: number, obj: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  };

  test('paths, bearer token, query and bodies of the verbs', async () => {
    handler = json(200, { metadata: { name: 'x' } });
    seen.length = 0;
    await client.get(deployments, 'web', { namespace: 'prod' });
    await client.list(nodes, { labelSelector: 'a=b', limit: 5 });
    await client.create(deployments, { metadata: { name: 'web', namespace: 'prod' } }, { fieldManager: 'me', dryRun: true });
    await client.updateStatus(deployments, { metadata: { name: 'web', namespace: 'prod' } });
    await client.update(nodes, { metadata: { name: 'n1' } });
    await client.patch(deployments, 'web', { spec: {} }, 'apply', { namespace: 'prod', fieldManager: 'me', force: true });
    await client.patch(nodes, 'n1', [{ op: 'remove', path: '/x' }], 'json');
    await client.delete(deployments, 'web', { namespace: 'prod', propagationPolicy: 'Background' });
    await client.deleteCollection(deployments, { namespace: 'prod', labelSelector: 'x' });
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.url}`),
      [
        'GET /apis/apps/v1/namespaces/prod/deployments/web',
        'GET /api/v1/nodes?labelSelector=a%3Db&limit=5',
        'POST /apis/apps/v1/namespaces/prod/deployments?dryRun=All&fieldManager=me',
        'PUT /apis/apps/v1/namespaces/prod/deployments/web/status',
        'PUT /api/v1/nodes/n1',
        'PATCH /apis/apps/v1/namespaces/prod/deployments/web?fieldManager=me&force=true',
        'PATCH /api/v1/nodes/n1',
        'DELETE /apis/apps/v1/namespaces/prod/deployments/web',
        'DELETE /apis/apps/v1/namespaces/prod/deployments?labelSelector=x',
      ],
    );
    assert.equal(seen[0].headers.authorization, 'Bearer secret');
    assert.equal(seen[5].headers['content-type'], 'application/apply-patch+yaml');
    assert.equal(seen[6].headers['content-type'], 'application/json-patch+json');
    assert.deepEqual(JSON.parse(seen[7].body), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
    assert.equal(seen[8].body, '');
  });

  test('errors are the StatusError the server sent, or one built from the code', async () => {
    handler = json(404, notFoundError({ group: 'apps', resource: 'deployments' }, 'web').toStatus());
    const err = await client.get(deployments, 'web', { namespace: 'p' }).catch((e) => e);
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 404);
    assert.equal(err.reason, 'NotFound');
    assert.equal(err.message, 'deployments.apps "web" not found');
    assert.equal(err.details?.name, 'web');

    handler = (_q, res) => {
      res.writeHead(503);
      res.end('overloaded');
    };
    const e2 = await client.get(nodes, 'n').catch((e) => e);
    assert.equal(e2.code, 503);
    assert.equal(e2.reason, 'ServiceUnavailable');
    assert.equal(e2.message, 'overloaded');
  });

  test('watch parses newline-delimited events split across chunks and ends on abort', async () => {
    let release!: () => void;
    handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"1"}}}\n{"type":"MODI');
      setImmediate(() => {
        res.write('FIED","object":{"metadata":{"name":"a","resourceVersion":"2"}}}\n');
        release = () => res.end();
      });
    };
    const ac = new AbortController();
    const events: string[] = [];
    for await (const ev of client.watch(deployments, { namespace: 'p', resourceVersion: '0', allowWatchBookmarks: true, signal: ac.signal })) {
      events.push(`${ev.type} ${ev.object.metadata.resourceVersion}`);
      if (events.length === 2) ac.abort();
    }
    assert.deepEqual(events, ['ADDED 1', 'MODIFIED 2']);
    assert.match(seen.at(-1)!.url, /\?resourceVersion=0&allowWatchBookmarks=true&watch=true$/);
    release?.();

    handler = json(410, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version' });
    await assert.rejects(
      (async () => {
        for await (const _ of client.watch(deployments, { resourceVersion: '1' })) void _;
      })(),
      (e: StatusError) => e.code === 410 && e.reason === 'Expired',
    );
  });
});

describe('loadKubeconfig', () => {
  test('reads server, CA data and token of the current context', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcfg-'));
    try {
      const path = join(dir, 'config');
      writeFileSync(
        path,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters:',
          '- name: c',
          '  cluster:',
          '    server: https://127.0.0.1:6443/',
          `    certificate-authority-data: ${Buffer.from('PEM').toString('base64')}`,
          'users:',
          '- name: u',
          '  user:',
          '    token: abc',
          'contexts:',
          '- name: ctx',
          '  context: {cluster: c, user: u, namespace: team}',
          'current-context: ctx',
        ].join('\n'),
      );
      assert.deepEqual(await loadKubeconfig(path), { server: 'https://127.0.0.1:6443', caPem: 'PEM', token: 'abc', namespace: 'team' });
      await assert.rejects(loadKubeconfig(path, 'nope'), /context "nope" not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
