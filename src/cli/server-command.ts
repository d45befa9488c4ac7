/**
 * `capstan server`: data dir, TLS, token and kubeconfig, the store, and the API server, started in
 * order and stopped in reverse on SIGTERM/SIGINT.
 */
import { mkdir } from 'node:fs/promises';
import { homedir, hostname, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { adminUser, ensureToken, TokenAuthenticator } from '../apiserver/auth/authn.js';
import { writeKubeconfig } from '../apiserver/auth/kubeconfig.js';
import { ensureAgentClientCertificate, ensureTls } from '../apiserver/auth/tls.js';
import { admissionPluginNames, assembleApiServer } from '../apiserver/assemble.js';
import { ensureServiceAccountKeys } from '../apiserver/auth/service-account-key.js';
import { defaultServiceAccountIssuer } from '../apiserver/auth/service-account-token.js';
import { bootstrapCluster, dnsServiceIP, ensureDnsEndpoints, ensureDnsService, ensureMasterService } from '../apiserver/bootstrap.js';
import { firstServiceIP, parsePortRange, parseServiceCIDR, serviceCIDRForNetworkMode, storedServiceCIDR } from '../apiserver/services/allocators.js';
import { ApiClient } from '../client/api-client.js';
import { startControllerManager } from '../controllers/manager.js';
import { generateFakeCertificate } from '../network/ingress/fake-certificate.js';
import { startIngressController } from '../network/ingress/start.js';
import type { ProxyEngine } from '../network/l7/proxy-engine.js';
import type { RouteTable } from '../network/l7/route-table.js';
import { startScheduler } from './scheduler-command.js';
import { openStore } from '../storage/open-store.js';
import { parseDuration } from '../util/duration.js';
import type { ControllerSettings } from '../controllers/context.js';
import { controllerFlagHelp, controllerFlagOptions, parseControllerFlags } from './controller-flags.js';
import { type AgentFlags, agentFlagHelp, agentFlagOptions, checkProxyMode, parseAgentFlags } from './agent-flags.js';
import { NodeAgent } from '../agent/agent.js';
import { chooseNetworkMode, findCniPlugins, haveIproute } from '../agent/network/mode.js';
import { startClusterDns } from '../network/dns/cluster-dns.js';
import { createLogger, parseLogLevel } from '../util/logger.js';
import { capstanVersion } from './version.js';

const help = `Usage: capstan server [flags]

Flags:
  --data-dir PATH              state directory (default /var/lib/capstan as root, else ~/.capstan)
  --bind-address IP            address the API server listens on (default 127.0.0.1)
  --port N                     HTTPS port of the API server (default 6443; 0 picks a free port)
  --write-kubeconfig PATH      also write the admin kubeconfig here
  --datastore-endpoint URL     sqlite://PATH (default: <data-dir>/state.db), memory://, or etcd://host:2379[,host:2379]
  --event-ttl DURATION         how long Events are kept after their last activity (default 1h)
  --advertise-address IP       address the \`kubernetes\` Service's endpoints point at (default: the bind address, or the host's first address when binding all);
                               a loopback address gets no Endpoints, which may not hold one (as upstream)
  --service-cluster-ip-range CIDR      Service ClusterIP range (default 10.43.0.0/16 in bridge network mode, 127.10.0.0/16 in host mode; kept across restarts)
  --service-node-port-range FROM-TO    Service NodePort range (default 30000-32767)
  --service-account-issuer URL the iss of service-account tokens (default ${defaultServiceAccountIssuer})
  --api-audiences LIST         audiences a token must name to reach the API (default: the issuer)
  --disable-admission-plugins LIST  admission plugins to turn off (${admissionPluginNames.join(', ')})
  --cluster-domain DOMAIN      the cluster's DNS domain (default cluster.local)
  --cluster-dns-port N         port of the cluster DNS listener at the advertise address, published as kube-dns's endpoints (default 0: a free port)
  --resolv-conf PATH           resolv.conf naming the resolvers that cluster DNS forwards other names to (default /etc/resolv.conf)
  --disable-cluster-dns        do not serve cluster DNS in this process
${controllerFlagHelp}  --default-toleration-seconds N       tolerationSeconds of the not-ready/unreachable tolerations added to pods (default 300)
  --disable-controller-manager do not run the controllers in this process (run \`capstan controller-manager\` elsewhere)
  --disable-scheduler          do not run the scheduler in this process (run \`capstan scheduler\` elsewhere)
  --disable-agent              do not run a node agent in this process (no pods run on this machine)
  --agent-port N               port of the node agent's HTTPS endpoint (default 10250; 0 picks a free port)
  --ingress-http-port N        HTTP port of the built-in Ingress proxy, at the bind address (default 80)
  --ingress-https-port N       HTTPS port of the built-in Ingress proxy (default 443)
  --disable-ingress            do not run the built-in Ingress controller and its proxy (which also serves Gateway listeners)
${agentFlagHelp("the --bind-address; when that is 0.0.0.0 or ::, the host's first non-loopback IPv4, else 127.0.0.1")}  --controllers LIST           controllers to run, as kube-controller-manager's flag: '*' (default), 'name', '-name'
  --log-level LEVEL            debug, info, warn or error (default info); --v N is accepted too
  -h, --help                   show this help
`;

/** The pod network mode this machine's agent runs in (it picks the default Service range). */
async function networkModeOf(flags: AgentFlags): Promise<'bridge' | 'host'> {
  try {
    return chooseNetworkMode(flags.network, { uid: process.getuid?.(), plugins: await findCniPlugins(flags.cniBinDir), iproute: await haveIproute() }).mode;
  } catch {
    return 'host'; // bridge was asked for but cannot run: the agent reports that itself
  }
}

/** The host's first non-internal IPv4 address, if any. */
function firstHostAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/capstan' : join(homedir(), '.capstan');
}

export async function serverCommand(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        'bind-address': { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '6443' },
        'write-kubeconfig': { type: 'string' },
        'datastore-endpoint': { type: 'string' },
        'disable-controller-manager': { type: 'boolean' },
        'disable-scheduler': { type: 'boolean' },
        'disable-agent': { type: 'boolean' },
        'disable-ingress': { type: 'boolean' },
        'ingress-http-port': { type: 'string', default: '80' },
        'ingress-https-port': { type: 'string', default: '443' },
        'agent-port': { type: 'string', default: '10250' },
        ...agentFlagOptions,
        controllers: { type: 'string' },
        'log-level': { type: 'string' },
        'event-ttl': { type: 'string', default: '1h' },
        'advertise-address': { type: 'string' },
        'service-cluster-ip-range': { type: 'string' },
        'service-node-port-range': { type: 'string' },
        'service-account-issuer': { type: 'string', default: defaultServiceAccountIssuer },
        'api-audiences': { type: 'string' },
        'disable-admission-plugins': { type: 'string' },
        'cluster-domain': { type: 'string', default: 'cluster.local' },
        'cluster-dns-port': { type: 'string', default: '0' },
        'resolv-conf': { type: 'string', default: '/etc/resolv.conf' },
        'disable-cluster-dns': { type: 'boolean' },
        ...controllerFlagOptions,
        'default-toleration-seconds': { type: 'string' },
        v: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`capstan server: ${(e as Error).message}\n\n${help}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(help);
    return 0;
  }
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`capstan server: invalid --port ${JSON.stringify(args.port)}\n`);
    return 2;
  }
  let eventTtlMs: number;
  let logLevel;
  let settings: ControllerSettings;
  let agentFlags: AgentFlags;
  let agentPort: number;
  let defaultTolerationSeconds: number | undefined;
  let ingressPorts: [number, number];
  const issuer = args['service-account-issuer']!;
  const apiAudiences = (args['api-audiences'] ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  const disabledAdmissionPlugins = (args['disable-admission-plugins'] ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  let clusterDnsPort: number;
  try {
    if (!issuer) throw new Error('--service-account-issuer must not be empty');
    if (issuer.includes(':') && !/^https:\/\/[^?#]+$/.test(issuer)) throw new Error(`invalid --service-account-issuer ${JSON.stringify(issuer)}: a URL must use the https scheme and have no query or fragment`);
    const unknown = disabledAdmissionPlugins.filter((n) => !(admissionPluginNames as readonly string[]).includes(n));
    if (unknown.length) throw new Error(`unknown admission plugins: ${unknown.join(', ')}`);
    eventTtlMs = parseDuration(args['event-ttl']!);
    settings = parseControllerFlags(args);
    agentFlags = parseAgentFlags(args);
    if (!args['disable-agent']) await checkProxyMode(agentFlags);
    agentPort = Number(args['agent-port']);
    if (!Number.isInteger(agentPort) || agentPort < 0 || agentPort > 65535) throw new Error(`invalid --agent-port ${JSON.stringify(args['agent-port'])}`);
    ingressPorts = [args['ingress-http-port']!, args['ingress-https-port']!].map((v, i) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid --ingress-${i ? 'https' : 'http'}-port ${JSON.stringify(v)}`);
      return n;
    }) as [number, number];
    if (args['default-toleration-seconds'] !== undefined) {
      defaultTolerationSeconds = Number(args['default-toleration-seconds']);
      if (!Number.isInteger(defaultTolerationSeconds) || defaultTolerationSeconds < 0) throw new Error(`invalid --default-toleration-seconds ${JSON.stringify(args['default-toleration-seconds'])}`);
    }
    if (args['service-cluster-ip-range'] !== undefined) parseServiceCIDR(args['service-cluster-ip-range']);
    if (args['service-node-port-range'] !== undefined) parsePortRange(args['service-node-port-range']);
    clusterDnsPort = Number(args['cluster-dns-port']);
    if (!Number.isInteger(clusterDnsPort) || clusterDnsPort < 0 || clusterDnsPort > 65535) throw new Error(`invalid --cluster-dns-port ${JSON.stringify(args['cluster-dns-port'])}`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$/i.test(args['cluster-domain']!)) throw new Error(`invalid --cluster-domain ${JSON.stringify(args['cluster-domain'])}`);
    logLevel = parseLogLevel(args['log-level'] ?? args.v);
  } catch (e) {
    process.stderr.write(`capstan server: ${(e as Error).message}\n`);
    return 2;
  }
  const logger = createLogger(logLevel);
  const dataDir = resolve(args['data-dir'] ?? defaultDataDir());
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const bind = args['bind-address']!;
  const sans = [...new Set(['127.0.0.1', '::1', 'localhost', hostname(), bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'])];
  const tls = await ensureTls(join(dataDir, 'tls'), sans);
  const agentClientCert = await ensureAgentClientCertificate(join(dataDir, 'tls'));
  const token = await ensureToken(join(dataDir, 'tls', 'admin.token'));
  const authenticator = new TokenAuthenticator();
  authenticator.addToken(token, adminUser);

  const saKeys = await ensureServiceAccountKeys(join(dataDir, 'tls'));

  const store = await openStore(args['datastore-endpoint'], dataDir);
  const api = await assembleApiServer({
    store,
    bindAddress: bind,
    port,
    tls,
    authenticator,
    logger: logger.child('apiserver'),
    version: capstanVersion,
    eventTtlMs,
    defaultTolerationSeconds,
    agentClientCert,
    serviceAccounts: { keys: saKeys, issuer, apiAudiences },
    disabledAdmissionPlugins,
    serviceClusterIPRange: args['service-cluster-ip-range'],
    defaultServiceClusterIPRange: serviceCIDRForNetworkMode(await networkModeOf(agentFlags)),
    serviceNodePortRange: args['service-node-port-range'],
  });
  await api.start();
  await bootstrapCluster(api.registry);
  const wildcardBind = bind === '0.0.0.0' || bind === '::';
  const firstIP = firstServiceIP((await storedServiceCIDR(store))!);
  let clusterDnsIP = dnsServiceIP(firstIP);
  if (!args['disable-cluster-dns']) {
    // An existing kube-dns Service keeps its address (the one written into pods' resolv.conf).
    clusterDnsIP = await ensureDnsService(api.registry, clusterDnsIP).catch((e: Error) => {
      logger.warn('cannot create the kube-dns Service', { clusterIP: clusterDnsIP, error: e.message });
      return clusterDnsIP;
    });
  }
  // Where other nodes and the service proxies reach this server (the kubernetes and kube-dns endpoints).
  const advertiseAddress = args['advertise-address'] ?? (wildcardBind ? firstHostAddress() : undefined) ?? (wildcardBind ? '127.0.0.1' : bind);
  await ensureMasterService(api.registry, { clusterIP: firstIP, port: api.listenPort, advertiseAddress });
  api.setReady();

  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const spec = { server: api.url, caCertPem: tls.caCertPem, token };
  await writeKubeconfig(kubeconfig, spec);
  if (args['write-kubeconfig']) await writeKubeconfig(resolve(args['write-kubeconfig']), spec);
  process.stdout.write(`Wrote kubeconfig to ${kubeconfig}${args['write-kubeconfig'] ? ` and ${resolve(args['write-kubeconfig'])}` : ''}\n`);
  // Controllers are API clients like any other (DESIGN.md §2.1).
  const controllers = new AbortController();
  // In-process components reach the API without TCP or TLS, but with the same token (DESIGN.md §2.1).
  const inProcess = { server: 'http://in-process', token, caPem: tls.caCertPem, connect: () => api.connectInProcess() };
  const client = new ApiClient({ ...inProcess, userAgent: 'capstan-controller-manager' });
  // The local node's agent keeps its data under <data-dir>/agent; local-path volumes go there.
  settings.localPathDataDir ??= join(dataDir, 'agent');
  // Gateway listeners bind where the API server does; Gateways report the reachable address.
  settings.gatewayBindAddress ??= bind;
  // Gateway listeners are served by the same HTTP proxy engine as Ingresses (started below).
  let l7Engine: ProxyEngine | undefined;
  let gatewayTable: RouteTable | undefined;
  settings.onGatewayTable ??= (listeners) => {
    gatewayTable = { listeners };
    void l7Engine?.setPart('gateway', gatewayTable);
  };
  settings.gatewayStatusAddress ??= wildcardBind ? (args['advertise-address'] ?? firstHostAddress() ?? '127.0.0.1') : bind;
  const running = args['disable-controller-manager'] ? [] : [startControllerManager(client, { logger: logger.child('controller-manager'), controllers: args.controllers?.split(',').map((c) => c.trim()).filter(Boolean), settings }, controllers.signal)];
  if (!args['disable-scheduler']) {
    const schedulerClient = new ApiClient({ ...inProcess, userAgent: 'capstan-scheduler' });
    running.push(startScheduler(schedulerClient, { logger: logger.child('scheduler'), signal: controllers.signal }).finally(() => schedulerClient.close()));
  }
  let dnsClient: ApiClient | undefined;
  if (!args['disable-cluster-dns']) {
    // The cluster DNS (CoreDNS's job), answering from its own informers (DESIGN.md §2.7).
    dnsClient = new ApiClient({ ...inProcess, userAgent: 'capstan-cluster-dns' });
    try {
      const dns = await startClusterDns({
        client: dnsClient,
        logger: logger.child('cluster-dns'),
        clusterDomain: args['cluster-domain']!,
        serviceIP: clusterDnsIP,
        // Service proxies carry kube-dns's ClusterIP to this listener through the Service's endpoints.
        bindServiceIP: false,
        extraListeners: [{ host: advertiseAddress, port: clusterDnsPort }],
        metricsListener: { host: advertiseAddress, port: 0 },
        resolvConfPath: resolve(args['resolv-conf']!),
      }, controllers.signal);
      running.push(dns.done);
      await ensureDnsEndpoints(api.registry, { address: advertiseAddress, dnsPort: dns.listeners[0].port, metricsPort: dns.metricsPort });
    } catch (e) {
      process.stderr.write(`capstan server: cluster DNS: ${(e as Error).message}\n`);
      controllers.abort();
      await Promise.allSettled(running);
      client.close();
      dnsClient.close();
      await api.stop();
      await store.close();
      return 1;
    }
  }
  // The Ingress HTTPS listener's fake certificate: its RSA key is made on the thread pool while the
  // agent starts, rather than after it.
  const ingressCertificate = args['disable-ingress'] ? undefined : generateFakeCertificate();
  ingressCertificate?.catch(() => undefined);
  let agentClient: ApiClient | undefined;
  let nodeSchedulable: () => void = () => undefined;
  const schedulable = new Promise<void>((r) => (nodeSchedulable = r));
  if (!args['disable-agent']) {
    // The node agent of this machine (a kubelet beside the control plane, as k3s runs one).
    agentClient = new ApiClient({ ...inProcess, userAgent: `capstan-agent/${capstanVersion.gitVersion}` });
    // On a loopback-only server the node is reached on loopback too: its InternalIP is the bind address.
    const wildcard = bind === '0.0.0.0' || bind === '::';
    const agent = new NodeAgent(agentClient, {
      ...agentFlags,
      clusterCidr: settings.clusterCidr,
      serviceCidr: await storedServiceCIDR(store),
      clusterDNS: args['disable-cluster-dns'] ? [] : [clusterDnsIP],
      clusterDomain: args['cluster-domain'],
      resolvConfPath: resolve(args['resolv-conf']!),
      nodeIP: agentFlags.nodeIP ?? (wildcard ? undefined : bind),
      dataDir: join(dataDir, 'agent'),
      bindAddress: agentFlags.nodeIP ?? bind,
      port: agentPort,
      clusterCaPem: tls.caCertPem,
      kubeletVersion: capstanVersion.gitVersion,
      logger: logger.child('agent'),
      onSchedulable: () => nodeSchedulable(),
    });
    running.push(agent.run(controllers.signal).catch((e: Error) => logger.error('node agent failed', { error: e.message })));
    // "Ready" means pods can run: wait (briefly) until this machine's Node takes pods. Without the
    // in-process controllers nothing lifts the new Node's not-ready taint, so do not wait then.
    if (!args['disable-controller-manager']) await Promise.race([schedulable, new Promise((r) => setTimeout(r, 10_000).unref())]);
  }
  let ingressClient: ApiClient | undefined;
  if (!args['disable-ingress']) {
    // The built-in Ingress controller and its proxy, on the bind address (as k3s runs Traefik).
    ingressClient = new ApiClient({ ...inProcess, userAgent: 'capstan-ingress-controller' });
    const ingress = await startIngressController(
      ingressClient,
      { logger: logger.child('ingress'), address: bind, httpPort: ingressPorts[0], httpsPort: ingressPorts[1], statusAddresses: advertiseAddress ? [advertiseAddress] : [], defaultCertificate: ingressCertificate },
      controllers.signal,
    );
    running.push(ingress.done.catch((e: Error) => logger.error('ingress controller failed', { error: e.message })));
    l7Engine = ingress.engine;
    if (gatewayTable) await l7Engine.setPart('gateway', gatewayTable);
  }
  process.stdout.write(`Capstan API server is ready at ${api.url}\n`);

  await new Promise<void>((done) => {
    const onSignal = (sig: NodeJS.Signals) => {
      logger.info('shutting down', { signal: sig });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      done();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  controllers.abort();
  await Promise.allSettled(running);
  client.close();
  agentClient?.close();
  dnsClient?.close();
  ingressClient?.close();
  await api.stop();
  await store.close();
  return 0;
}
