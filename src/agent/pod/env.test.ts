import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Container, EnvVar, Pod, Secret, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { expand, expandCommandAndArgs, expandCommandOnlyStatic, makeEnvironment, serviceEnvVars, type EnvironmentInput } from './env.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const configMaps: ConfigMap[] = [
  { metadata: { name: 'cfg', namespace: 'ns' }, data: { B_KEY: 'b', A_KEY: 'a', 'dotted.key': 'd' } },
  { metadata: { name: 'other', namespace: 'ns' }, data: { SHARED: 'from-other' } },
];
const secrets: Secret[] = [{ metadata: { name: 'sec', namespace: 'ns' }, data: { PASSWORD: b64('s3cret'), SHARED: b64('from-secret') } }];

function svc(namespace: string, name: string, clusterIP: string, ports: ServicePort[]): Service {
  return { metadata: { name, namespace }, spec: { clusterIP, ports } };
}
const kubernetesSvc = svc('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]);

function pod(container: Container, extra: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    metadata: {
      name: 'web-0',
      namespace: 'ns',
      uid: 'uid-123',
      labels: { app: 'web', tier: 'front' },
      annotations: { 'example.com/note': 'say "hi"\n' },
    },
    spec: { nodeName: 'node-a', serviceAccountName: 'sa', containers: [container], ...extra },
  };
}

function input(container: Container, over: Partial<EnvironmentInput> = {}): EnvironmentInput {
  return {
    pod: pod(container),
    container,
    lookup: {
      configMap: (ns, name) => configMaps.find((c) => c.metadata?.namespace === ns && c.metadata?.name === name),
      secret: (ns, name) => secrets.find((s) => s.metadata?.namespace === ns && s.metadata?.name === name),
    },
    services: [],
    nodeAllocatable: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' },
    hostIPs: ['192.168.1.10'],
    podIPs: ['10.42.0.7'],
    ...over,
  };
}

function envOf(i: EnvironmentInput): [string, string][] {
  const r = makeEnvironment(i);
  assert.ok('env' in r, `unexpected error: ${JSON.stringify(r)}`);
  return r.env.map((e) => [e.name, e.value]);
}
const valueOf = (i: EnvironmentInput, name: string) => new Map(envOf(i)).get(name);
const errorOf = (i: EnvironmentInput): string => {
  const r = makeEnvironment(i);
  assert.ok('error' in r, `expected an error, got ${JSON.stringify(r)}`);
  assert.equal(r.error.reason, 'CreateContainerConfigError');
  return r.error.message;
};
const c = (env: EnvVar[], more: Partial<Container> = {}): Container => ({ name: 'app', image: 'x', env, ...more });

describe('makeEnvironment: order and precedence', () => {
  it('puts service variables first, then envFrom, then env; later sources win and take the later place', () => {
    const container = c([{ name: 'Z_LAST', value: 'z' }, { name: 'A_KEY', value: 'env-wins' }], { envFrom: [{ configMapRef: { name: 'cfg' } }] });
    const env = envOf(input(container, { services: [kubernetesSvc] }));
    const names = env.map(([n]) => n);
    assert.equal(names[0], 'KUBERNETES_SERVICE_HOST');
    assert.deepEqual(names.slice(-4), ['B_KEY', 'dotted.key', 'Z_LAST', 'A_KEY']);
    assert.equal(new Map(env).get('A_KEY'), 'env-wins');
    assert.equal(names.filter((n) => n === 'A_KEY').length, 1);
  });

  it('lets a container variable replace a service variable of the same name', () => {
    const container = c([{ name: 'KUBERNETES_SERVICE_HOST', value: 'mine' }]);
    const env = envOf(input(container, { services: [kubernetesSvc] }));
    assert.equal(env.at(-1)?.[0], 'KUBERNETES_SERVICE_HOST');
    assert.equal(env.filter(([n]) => n === 'KUBERNETES_SERVICE_HOST').length, 1);
    assert.equal(new Map(env).get('KUBERNETES_SERVICE_HOST'), 'mine');
  });

  it('later envFrom sources override earlier ones; a prefix is prepended; invalid names pass through (1.32)', () => {
    const container = c([], { envFrom: [{ configMapRef: { name: 'other' } }, { secretRef: { name: 'sec' }, prefix: 'S_' }, { configMapRef: { name: 'cfg' }, prefix: '1bad-' }] });
    const env = new Map(envOf(input(container)));
    assert.equal(env.get('SHARED'), 'from-other');
    assert.equal(env.get('S_SHARED'), 'from-secret');
    assert.equal(env.get('S_PASSWORD'), 's3cret');
    assert.equal(env.get('1bad-dotted.key'), 'd');
  });

  it('an env entry with neither value nor valueFrom is the empty string', () => {
    assert.deepEqual(envOf(input(c([{ name: 'EMPTY' }]))), [['EMPTY', '']]);
  });
});

describe('makeEnvironment: $(VAR) expansion', () => {
  const run = (value: string, before: EnvVar[] = []) =>
    valueOf(input(c([...before, { name: 'OUT', value }], { envFrom: [{ configMapRef: { name: 'cfg' } }] }), { services: [kubernetesSvc] }), 'OUT');

  it('expands earlier variables, envFrom variables and service variables', () => {
    assert.equal(run('$(FIRST)-$(A_KEY)-$(KUBERNETES_SERVICE_PORT)', [{ name: 'FIRST', value: 'one' }]), 'one-a-443');
  });
  it('leaves unknown and later-defined references as written', () => {
    assert.equal(valueOf(input(c([{ name: 'OUT', value: '$(LATER)/$(NOPE)' }, { name: 'LATER', value: 'x' }])), 'OUT'), '$(LATER)/$(NOPE)');
  });
  it('treats $$ as an escaped $', () => {
    assert.equal(run('$$(A_KEY) cost $$5'), '$(A_KEY) cost $5');
  });
  it('keeps a lone $, an unclosed $( and $ before another character', () => {
    assert.equal(run('a$'), 'a$');
    assert.equal(run('$(A_KEY'), '$(A_KEY');
    assert.equal(run('$x$(A_KEY)'), '$xa');
    assert.equal(run('$()'), '$()');
  });
  it('does not expand values read from ConfigMaps, Secrets or the downward API', () => {
    const env = envOf(
      input(c([{ name: 'A', value: 'a' }, { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'raw', key: 'k' } } }]), {
        lookup: { configMap: () => ({ data: { k: '$(A)' } }), secret: () => undefined },
      }),
    );
    assert.equal(new Map(env).get('FROM_CM'), '$(A)');
  });
  it('a self-reference sees the previous definition only', () => {
    assert.equal(valueOf(input(c([{ name: 'P', value: '/bin' }, { name: 'P', value: '$(P):/usr/bin' }])), 'P'), '/bin:/usr/bin');
    assert.equal(valueOf(input(c([{ name: 'Q', value: '$(Q):x' }])), 'Q'), '$(Q):x');
  });
  it('expand() is the bare algorithm', () => {
    assert.equal(
      expand('$(a)$(b)$$$', (n) => (n === 'a' ? 'A' : undefined)),
      'A$(b)$$',
    );
  });
});

describe('makeEnvironment: fieldRef', () => {
  const field = (fieldPath: string, over: Partial<EnvironmentInput> = {}) => valueOf(input(c([{ name: 'F', valueFrom: { fieldRef: { fieldPath } } }]), over), 'F');

  it('resolves every field upstream allows', () => {
    assert.equal(field('metadata.name'), 'web-0');
    assert.equal(field('metadata.namespace'), 'ns');
    assert.equal(field('metadata.uid'), 'uid-123');
    assert.equal(field("metadata.labels['app']"), 'web');
    assert.equal(field("metadata.labels['missing']"), '');
    assert.equal(field("metadata.annotations['example.com/note']"), 'say "hi"\n');
    assert.equal(field('metadata.labels'), 'app="web"\ntier="front"');
    assert.equal(field('metadata.annotations'), 'example.com/note="say \\"hi\\"\\n"');
    assert.equal(field('spec.nodeName'), 'node-a');
    assert.equal(field('spec.host'), 'node-a');
    assert.equal(field('spec.serviceAccountName'), 'sa');
    assert.equal(field('status.hostIP', { hostIPs: ['192.168.1.10', 'fd00::10'] }), '192.168.1.10');
    assert.equal(field('status.hostIPs', { hostIPs: ['192.168.1.10', 'fd00::10'] }), '192.168.1.10,fd00::10');
    assert.equal(field('status.podIP'), '10.42.0.7');
  });

  it('orders pod IPs by the node family preference', () => {
    const dual = { podIPs: ['fd00::7', '10.42.0.7'] };
    assert.equal(field('status.podIP', { ...dual, hostIPs: ['192.168.1.10'] }), '10.42.0.7');
    assert.equal(field('status.podIPs', { ...dual, hostIPs: ['192.168.1.10'] }), '10.42.0.7,fd00::7');
    assert.equal(field('status.podIPs', { ...dual, hostIPs: ['fd00::10'] }), 'fd00::7,10.42.0.7');
  });

  it('refuses what upstream refuses, with its messages', () => {
    const err = (fieldPath: string, apiVersion?: string) => errorOf(input(c([{ name: 'F', valueFrom: { fieldRef: { fieldPath, apiVersion } } }])));
    assert.equal(err('status.phase'), 'unsupported fieldPath: status.phase');
    assert.equal(err('spec.containers'), 'field label not supported: spec.containers');
    assert.equal(err("metadata.name['x']"), "field label does not support subscript: metadata.name['x']");
    assert.equal(err('metadata.name', 'v2'), 'unsupported pod version: v2');
    assert.match(err("metadata.labels['-bad-']"), /^invalid key subscript in metadata\.labels\['-bad-'\]: name part must consist of/);
  });
});

describe('makeEnvironment: resourceFieldRef', () => {
  const resources = {
    limits: { cpu: '250m', memory: '129Mi' },
    requests: { cpu: '1500m', memory: '64Mi', 'ephemeral-storage': '1G' },
  };
  const res = (resource: string, divisor?: string, containerName?: string, over: Partial<Container> = {}) =>
    valueOf(input(c([{ name: 'R', valueFrom: { resourceFieldRef: { resource, divisor, containerName } } }], { resources, ...over })), 'R');

  it('divides and rounds up as upstream', () => {
    assert.equal(res('limits.cpu'), '1');
    assert.equal(res('limits.cpu', '1m'), '250');
    assert.equal(res('limits.cpu', '100m'), '3');
    assert.equal(res('requests.cpu'), '2');
    assert.equal(res('requests.cpu', '0'), '2'); // a zero divisor means 1
    assert.equal(res('limits.memory'), String(129 * 1024 * 1024));
    assert.equal(res('limits.memory', '1Mi'), '129');
    assert.equal(res('limits.memory', '1Gi'), '1');
    assert.equal(res('requests.memory', '1M'), '68');
    assert.equal(res('requests.ephemeral-storage', '1Gi'), '1');
  });

  it('defaults unset or zero limits to node allocatable', () => {
    assert.equal(res('limits.ephemeral-storage', '1Gi'), '100');
    assert.equal(res('limits.cpu', '1m', undefined, { resources: { limits: { cpu: '0' } } }), '4000');
    assert.equal(res('limits.memory', '1Mi', undefined, { resources: {} }), '8192');
    assert.equal(res('requests.cpu', undefined, undefined, { resources: {} }), '0');
  });

  it('reads another container by name, with its own defaults', () => {
    const sidecar: Container = { name: 'side', image: 'x', resources: { requests: { memory: '1Gi' } } };
    const main = c([{ name: 'R', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi', containerName: 'side' } } }, { name: 'L', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Gi', containerName: 'side' } } }]);
    const i = input(main);
    i.pod.spec!.containers.push(sidecar);
    assert.equal(valueOf(i, 'R'), '1024');
    assert.equal(valueOf(i, 'L'), '8');
  });

  it('reports unknown resources and containers', () => {
    assert.equal(errorOf(input(c([{ name: 'R', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }]))), 'Unsupported container resource : limits.gpu');
    assert.equal(errorOf(input(c([{ name: 'R', valueFrom: { resourceFieldRef: { resource: 'cpu' } } }]))), 'Unsupported container resource : cpu');
    assert.equal(errorOf(input(c([{ name: 'R', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', containerName: 'ghost' } } }]))), 'container ghost not found');
  });
});

describe('makeEnvironment: ConfigMap and Secret references', () => {
  it('reads keys and decodes secrets', () => {
    const env = new Map(
      envOf(
        input(
          c([
            { name: 'CM', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'A_KEY' } } },
            { name: 'SEC', valueFrom: { secretKeyRef: { name: 'sec', key: 'PASSWORD' } } },
          ]),
        ),
      ),
    );
    assert.equal(env.get('CM'), 'a');
    assert.equal(env.get('SEC'), 's3cret');
  });

  it('fails with the kubelet messages when a required object or key is missing', () => {
    const one = (v: EnvVar['valueFrom']) => errorOf(input(c([{ name: 'X', valueFrom: v }])));
    assert.equal(one({ configMapKeyRef: { name: 'nope', key: 'k' } }), 'configmap "nope" not found');
    assert.equal(one({ configMapKeyRef: { name: 'cfg', key: 'k' } }), "couldn't find key k in ConfigMap ns/cfg");
    assert.equal(one({ secretKeyRef: { name: 'nope', key: 'k' } }), 'secret "nope" not found');
    assert.equal(one({ secretKeyRef: { name: 'sec', key: 'k' } }), "couldn't find key k in Secret ns/sec");
    assert.equal(errorOf(input(c([], { envFrom: [{ configMapRef: { name: 'nope' } }] }))), 'configmap "nope" not found');
    assert.equal(errorOf(input(c([], { envFrom: [{ secretRef: { name: 'nope' } }] }))), 'secret "nope" not found');
  });

  it('skips optional references that are missing: no variable at all', () => {
    const env = envOf(
      input(
        c(
          [
            { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
            { name: 'B', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k', optional: true } } },
            { name: 'C', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } },
            { name: 'D', valueFrom: { secretKeyRef: { name: 'sec', key: 'k', optional: true } } },
            { name: 'E', value: 'e' },
          ],
          { envFrom: [{ configMapRef: { name: 'nope', optional: true } }, { secretRef: { name: 'nope', optional: true } }] },
        ),
      ),
    );
    assert.deepEqual(env, [['E', 'e']]);
  });

  it('reads each referenced object once', () => {
    let reads = 0;
    const i = input(c([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'A_KEY' } } }, { name: 'B', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'B_KEY' } } }], { envFrom: [{ configMapRef: { name: 'cfg' } }] }));
    const inner = i.lookup;
    i.lookup = { configMap: (ns, n) => (reads++, inner.configMap(ns, n)), secret: inner.secret };
    envOf(i);
    assert.equal(reads, 1);
  });
});

describe('service environment variables', () => {
  const web = svc('ns', 'my-web', '10.43.0.20', [
    { name: 'http', port: 80, protocol: 'TCP' },
    { name: 'dns-udp', port: 53, protocol: 'UDP' },
  ]);

  it('gives the kubelet variables for a service with two ports', () => {
    assert.deepEqual(
      serviceEnvVars(web).map((e) => `${e.name}=${e.value}`),
      [
        'MY_WEB_SERVICE_HOST=10.43.0.20',
        'MY_WEB_SERVICE_PORT=80',
        'MY_WEB_SERVICE_PORT_HTTP=80',
        'MY_WEB_SERVICE_PORT_DNS_UDP=53',
        'MY_WEB_PORT=tcp://10.43.0.20:80',
        'MY_WEB_PORT_80_TCP=tcp://10.43.0.20:80',
        'MY_WEB_PORT_80_TCP_PROTO=tcp',
        'MY_WEB_PORT_80_TCP_PORT=80',
        'MY_WEB_PORT_80_TCP_ADDR=10.43.0.20',
        'MY_WEB_PORT_53_UDP=udp://10.43.0.20:53',
        'MY_WEB_PORT_53_UDP_PROTO=udp',
        'MY_WEB_PORT_53_UDP_PORT=53',
        'MY_WEB_PORT_53_UDP_ADDR=10.43.0.20',
      ],
    );
  });

  it('brackets IPv6 cluster IPs in URLs only', () => {
    const v6 = new Map(serviceEnvVars(svc('ns', 'v6', 'fd00::20', [{ port: 8080 }])).map((e) => [e.name, e.value]));
    assert.equal(v6.get('V6_PORT'), 'tcp://[fd00::20]:8080');
    assert.equal(v6.get('V6_PORT_8080_TCP_ADDR'), 'fd00::20');
    assert.equal(v6.has('V6_SERVICE_PORT_'), false);
  });

  it('chooses services as getServiceEnvVarMap does', () => {
    const services = [
      kubernetesSvc,
      web,
      svc('ns', 'headless', 'None', [{ port: 80 }]),
      svc('ns', 'external', '', [{ port: 80 }]),
      svc('elsewhere', 'far', '10.43.0.30', [{ port: 80 }]),
    ];
    const names = (enableServiceLinks?: boolean) => {
      const container = c([]);
      const i = input(container, { services });
      i.pod.spec!.enableServiceLinks = enableServiceLinks;
      return new Set(envOf(i).map(([n]) => n.split('_')[0]));
    };
    assert.deepEqual(names(undefined), new Set(['KUBERNETES', 'MY']));
    assert.deepEqual(names(true), new Set(['KUBERNETES', 'MY']));
    // The master service stays even with service links off.
    assert.deepEqual(names(false), new Set(['KUBERNETES']));
  });
});

describe('command expansion', () => {
  it('expands command and args against the resolved environment', () => {
    const container = c([], { command: ['/bin/$(TOOL)', '$$(TOOL)'], args: ['--port=$(PORT)', '$(MISSING)'] });
    assert.deepEqual(expandCommandAndArgs(container, [{ name: 'TOOL', value: 'srv' }, { name: 'PORT', value: '80' }]), {
      command: ['/bin/srv', '$(TOOL)'],
      args: ['--port=80', '$(MISSING)'],
    });
    assert.deepEqual(expandCommandAndArgs(c([]), []), { command: [], args: [] });
  });

  it('expands probe commands against literal env values only', () => {
    const env: EnvVar[] = [{ name: 'FILE', value: '/run/app/ok' }, { name: 'SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }];
    assert.deepEqual(expandCommandOnlyStatic(['cat', '$(FILE)', '$(SECRET)', '$(NONE)'], env), ['cat', '/run/app/ok', '', '$(NONE)']);
  });
});
