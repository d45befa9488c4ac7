/**
 * The node agent inside `capstan server` (compiled dist/ only), driven with the real kubectl: the
 * node registers and turns Ready; a Deployment of a small Node.js HTTP server becomes Ready
 * through its readiness probe; a crashing container restarts with growing back-off into
 * CrashLoopBackOff; a failing liveness probe restarts its container; `kubectl logs` (current,
 * --previous, -f) reads the CRI log files; an Indexed Job runs real processes to completion; and
 * a restarted server re-adopts running containers instead of restarting them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { e2eSkip, kc, kubectl, kubectlPath, type ServerHandle } from './harness.js';
import { suiteServer } from './suite-server.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';

const skip = e2eSkip();


const json = (server: ServerHandle, args: string[]) => JSON.parse(kc(server, [...args, '-o', 'json']));

describe('node agent in capstan server', { skip, timeout: 240_000 }, () => {
  const server = suiteServer({ agent: true, deleteAll: ['pods,deployments,jobs'] });

  test('the node registers and is Ready with capacity and the process runtime', async () => {
    const node = await eventually('a Ready node', () => {
      const r = kubectl(server, ['get', 'node', 'capstan-e2e', '-o', 'json']);
      if (r.code !== 0) return undefined;
      const n = JSON.parse(r.stdout);
      return n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
    });
    assert.equal(node.metadata.labels['kubernetes.io/hostname'], 'capstan-e2e');
    assert.equal(node.status.capacity.pods, '110');
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^process:\/\//);
    assert.equal(node.status.addresses.find((a: { type: string }) => a.type === 'InternalIP')?.address, '127.0.0.1');
    // The process runtime cannot enforce limits, and the node says so.
    const warning = await eventually('the limits warning on the node', () => {
      const out = kc(server, ['get', 'events', '--field-selector', 'involvedObject.kind=Node,reason=ResourceLimitsNotEnforced', '-o', 'jsonpath={.items[*].message}']);
      return out || undefined;
    });
    assert.match(warning, /CPU and memory limits are not enforced/);
    const lease = json(server, ['get', 'lease', '-n', 'kube-node-lease', 'capstan-e2e']);
    assert.equal(lease.spec.holderIdentity, 'capstan-e2e');
  });

  test('a Deployment of an HTTP server becomes Ready through its readiness probe, and logs are served', async () => {
    const port = await freePort();
    const script = `const http=require('http');console.log('model server starting');setTimeout(()=>http.createServer((q,s)=>{s.end(q.url==='/readyz'?'ok':'v1')}).listen(${port},'127.0.0.1',()=>console.log('listening on ${port}')),500)`;
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              containers: [
                {
                  name: 'server',
                  image: 'node',
                  command: [process.execPath, '-e', script],
                  ports: [{ containerPort: port }],
                  readinessProbe: { httpGet: { path: '/readyz', port }, periodSeconds: 1 },
                },
              ],
            },
          },
        },
      }),
    });
    kc(server, ['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const pod = json(server, ['get', 'pods', '-l', 'app=web']).items[0];
    assert.equal(pod.status.phase, 'Running');
    assert.equal(pod.status.podIP, '127.0.0.1');
    assert.equal(pod.status.containerStatuses[0].ready, true);
    assert.match(pod.status.containerStatuses[0].containerID, /^process:\/\//);
    const logs = await eventually('the log lines', () => {
      const out = kc(server, ['logs', pod.metadata.name]);
      return out.includes('listening') ? out : undefined;
    });
    assert.equal(logs, `model server starting\nlistening on ${port}\n`);
    const stamped = kc(server, ['logs', pod.metadata.name, '--timestamps', '--tail=1']);
    assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z listening on \d+\n$/);
    const described = kc(server, ['describe', 'pod', pod.metadata.name]);
    for (const reason of ['Scheduled', 'Created', 'Started']) assert.match(described, new RegExp(`Normal\\s+${reason}`));
  });

  test('a crashing container restarts with back-off and reaches CrashLoopBackOff; --previous shows the last run', async () => {
    kc(server, ['run', 'crasher', '--image=busybox', '--restart=Always', '--command', '--', 'sh', '-c', 'echo run at $(date +%s); exit 3']);
    const status = await eventually(
      'CrashLoopBackOff',
      () => {
        const p = json(server, ['get', 'pod', 'crasher']);
        const cs = p.status?.containerStatuses?.[0];
        return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && cs.restartCount >= 1 ? cs : undefined;
      },
      60_000,
    );
    assert.equal(status.lastState.terminated.exitCode, 3);
    assert.equal(status.lastState.terminated.reason, 'Error');
    assert.match(status.state.waiting.message, /^back-off \d+s restarting failed container=crasher pod=crasher_default\(/);
    assert.match(kc(server, ['logs', 'crasher', '--previous']), /^run at \d+\n$/);
    const events = kc(server, ['get', 'events', '--field-selector', 'involvedObject.name=crasher', '-o', 'jsonpath={.items[*].reason}']);
    assert.match(events, /BackOff/);
  });

  test('a failing liveness probe restarts the container', async () => {
    const flag = `${server.dataDir}/alive-flag`;
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'hangs' },
        spec: {
          containers: [
            {
              name: 'c',
              image: 'busybox',
              command: ['sh', '-c', `touch ${flag}; sleep 2; rm -f ${flag}; sleep 600`],
              livenessProbe: { exec: { command: ['test', '-f', flag] }, periodSeconds: 1, failureThreshold: 1 },
            },
          ],
        },
      }),
    });
    const cs = await eventually(
      'a restart after the liveness failure',
      () => {
        const p = json(server, ['get', 'pod', 'hangs']);
        const s = p.status?.containerStatuses?.[0];
        return s?.restartCount >= 1 ? s : undefined;
      },
      60_000,
    );
    assert.ok(cs.lastState.terminated, 'the killed run is the last state');
    const events = kc(server, ['get', 'events', '--field-selector', 'involvedObject.name=hangs', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.match(events, /Unhealthy: Liveness probe failed/);
    assert.match(events, /Killing: Container c failed liveness probe, will be restarted/);
  });

  test('kubectl logs -f follows new output', async () => {
    kc(server, ['run', 'ticker', '--image=busybox', '--restart=Never', '--command', '--', 'sh', '-c', 'for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.5; done']);
    await eventually('ticker running', () => (json(server, ['get', 'pod', 'ticker']).status?.phase === 'Running' ? true : undefined));
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(kubectlPath()!, ['--kubeconfig', server.kubeconfig, 'logs', '-f', 'ticker'], { env: { ...process.env, HOME: server.dataDir, KUBECTL_KUBERC: 'false' } });
      let s = '';
      p.stdout.on('data', (d: Buffer) => (s += d.toString()));
      const timer = setTimeout(() => {
        p.kill();
        reject(new Error(`logs -f did not end: ${s}`));
      }, 30_000);
      p.on('exit', () => {
        clearTimeout(timer);
        resolve(s);
      });
    });
    assert.equal(out, 'tick 1\ntick 2\ntick 3\ntick 4\ntick 5\ntick 6\n');
    await eventually('ticker Succeeded', () => (json(server, ['get', 'pod', 'ticker']).status?.phase === 'Succeeded' ? true : undefined));
  });

  test('kubectl expose, get --raw through pods/services/nodes proxy, and kubectl proxy reach the HTTP server', async () => {
    const pod = json(server, ['get', 'pods', '-l', 'app=web']).items[0];
    const port = pod.spec.containers[0].ports[0].containerPort;
    kc(server, ['expose', 'deployment', 'web', '--name', 'web', '--port', '80', '--target-port', String(port)]);
    const ns = '/api/v1/namespaces/default';
    assert.equal(kc(server, ['get', '--raw', `${ns}/pods/${pod.metadata.name}:${port}/proxy/readyz`]), 'ok');
    assert.equal(kc(server, ['get', '--raw', `${ns}/pods/${pod.metadata.name}:${port}/proxy/predict?x=1`]), 'v1');
    const viaService = await eventually('the service proxy', () => {
      const r = kubectl(server, ['get', '--raw', `${ns}/services/web:80/proxy/readyz`]);
      return r.code === 0 ? r.stdout : undefined;
    });
    assert.equal(viaService, 'ok');
    assert.match(kubectl(server, ['get', '--raw', `${ns}/services/nosuch/proxy/`]).stderr, /NotFound|not found/);
    assert.equal(kc(server, ['get', '--raw', '/api/v1/nodes/capstan-e2e/proxy/healthz']), 'ok');
    // kubectl proxy serves the same paths on a local port.
    const proxy = spawn(kubectlPath()!, ['--kubeconfig', server.kubeconfig, 'proxy', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const local = await new Promise<string>((resolve, reject) => {
        let out = '';
        proxy.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /Starting to serve on (\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        proxy.once('exit', (c) => reject(new Error(`kubectl proxy exited with ${c}: ${out}`)));
      });
      const r = await fetch(`http://${local}${ns}/services/web:80/proxy/readyz`);
      assert.equal(r.status, 200);
      assert.equal(await r.text(), 'ok');
    } finally {
      proxy.kill();
    }
  });

  test('an Indexed Job runs real processes to completion', async () => {
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'shards' },
        spec: {
          completions: 3,
          parallelism: 3,
          completionMode: 'Indexed',
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: 'busybox', command: ['sh', '-c', 'echo shard $JOB_COMPLETION_INDEX done'] }] } },
        },
      }),
    });
    kc(server, ['wait', '--for=condition=Complete', 'job/shards', '--timeout=90s']);
    const pods = json(server, ['get', 'pods', '-l', 'job-name=shards']).items as { metadata: { name: string; annotations: Record<string, string> } }[];
    const lines = pods.map((p) => kc(server, ['logs', p.metadata.name]).trim()).sort();
    assert.deepEqual(lines, ['shard 0 done', 'shard 1 done', 'shard 2 done']);
  });

  test('a restarted server re-adopts running containers', async () => {
    const before = json(server, ['get', 'pods', '-l', 'app=web']).items[0];
    const id = before.status.containerStatuses[0].containerID;
    await server.restart();
    const after = await eventually('the pod seen again by the agent', () => {
      const p = json(server, ['get', 'pod', before.metadata.name]);
      const cs = p.status?.containerStatuses?.[0];
      return cs?.ready ? cs : undefined;
    });
    assert.equal(after.containerID, id, 'same container, not a new one');
    assert.equal(after.restartCount, 0);
  });
});
