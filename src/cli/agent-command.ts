/**
 * `capstan agent`: a node agent that joins a running cluster (the kubelet). It registers this
 * machine as a Node and runs the pods bound to it; SIGTERM/SIGINT stop the agent and leave the
 * pods running for the next start to re-adopt.
 */
import { readFile, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeAgent } from '../agent/agent.js';
import { ApiClient } from '../client/api-client.js';
import { type ClientConfig, loadKubeconfig } from '../client/client-config.js';
import { createLogger, parseLogLevel } from '../util/logger.js';
import { agentFlagHelp, agentFlagOptions, checkProxyMode, parseAgentFlags, type AgentFlags } from './agent-flags.js';
import { capstanVersion } from './version.js';
import { parseIpv4Cidr } from '../controllers/nodeipam/cidr-set.js';

const help = `Usage: capstan agent (--server URL --token TOKEN --ca-file PATH | --kubeconfig PATH) [flags]

Flags:
  --server URL                 the API server, e.g. https://10.0.0.1:6443
  --token TOKEN                bearer token for the API server
  --ca-file PATH               the cluster CA (verifies the API server, and the API server's calls to this agent)
  --kubeconfig PATH            instead of --server/--token/--ca-file
  --data-dir PATH              agent state and pod logs (default /var/lib/capstan-agent as root, else ~/.capstan-agent)
  --bind-address IP            address of the agent's HTTPS endpoint (default 0.0.0.0)
  --port N                     port of the agent's HTTPS endpoint (default 10250; 0 picks a free port)
${agentFlagHelp("the host's first non-loopback IPv4, else 127.0.0.1")}  --cluster-cidr CIDR          the cluster's pod range, routed from bridge-mode pods (default 10.42.0.0/16)
  --cluster-dns IP[,IP]        the cluster DNS written into sandbox pods' resolv.conf (default: the kube-dns Service's ClusterIP)
  --cluster-domain DOMAIN      the cluster's DNS domain (default cluster.local)
  --resolv-conf PATH           the node's resolv.conf, the base of pods' DNS settings (default /etc/resolv.conf)
  --log-level LEVEL            debug, info, warn or error (default info); --v N is accepted too
  -h, --help                   show this help
`;

export async function agentCommand(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        server: { type: 'string' },
        token: { type: 'string' },
        'ca-file': { type: 'string' },
        kubeconfig: { type: 'string' },
        'data-dir': { type: 'string' },
        'bind-address': { type: 'string', default: '0.0.0.0' },
        port: { type: 'string', default: '10250' },
        ...agentFlagOptions,
        'cluster-cidr': { type: 'string' },
        'cluster-dns': { type: 'string' },
        'cluster-domain': { type: 'string', default: 'cluster.local' },
        'resolv-conf': { type: 'string', default: '/etc/resolv.conf' },
        'log-level': { type: 'string' },
        v: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`capstan agent: ${(e as Error).message}\n\n${help}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(help);
    return 0;
  }
  let flags: AgentFlags;
  let logger;
  const port = Number(args.port);
  try {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${JSON.stringify(args.port)}`);
    flags = parseAgentFlags(args);
    await checkProxyMode(flags);
    if (args['cluster-cidr'] && !parseIpv4Cidr(args['cluster-cidr'])) throw new Error(`invalid --cluster-cidr ${JSON.stringify(args['cluster-cidr'])}: must be an IPv4 CIDR such as 10.42.0.0/16`);
    logger = createLogger(parseLogLevel(args['log-level'] ?? args.v));
    if (!args.kubeconfig && !(args.server && args.token && args['ca-file'])) throw new Error('either --kubeconfig or all of --server, --token and --ca-file are required');
  } catch (e) {
    process.stderr.write(`capstan agent: ${(e as Error).message}\n`);
    return 2;
  }
  let config: ClientConfig;
  try {
    config = args.kubeconfig ? await loadKubeconfig(args.kubeconfig) : { server: args.server!, token: args.token, caPem: await readFile(args['ca-file']!, 'utf8') };
  } catch (e) {
    process.stderr.write(`capstan agent: ${(e as Error).message}\n`);
    return 2;
  }
  if (!config.caPem) {
    process.stderr.write('capstan agent: the cluster CA is needed (--ca-file, or certificate-authority-data in the kubeconfig)\n');
    return 2;
  }
  const dataDir = resolve(args['data-dir'] ?? (process.getuid?.() === 0 ? '/var/lib/capstan-agent' : join(homedir(), '.capstan-agent')));
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const client = new ApiClient({ ...config, userAgent: `capstan-agent/${capstanVersion.gitVersion}` });
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    logger.info('shutting down; pods keep running', { signal: sig });
    ac.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await new NodeAgent(client, {
      ...flags,
      dataDir,
      bindAddress: args['bind-address']!,
      port,
      clusterCaPem: config.caPem,
      kubeletVersion: capstanVersion.gitVersion,
      clusterCidr: args['cluster-cidr'] || undefined,
      clusterDNS: args['cluster-dns'] === undefined ? undefined : args['cluster-dns'].split(',').map((a) => a.trim()).filter(Boolean),
      clusterDomain: args['cluster-domain'],
      resolvConfPath: args['resolv-conf'],
      logger: logger.child('agent'),
      onReady: ({ nodeName, port: p }) => process.stdout.write(`Capstan agent is ready: node ${nodeName}, port ${p}\n`),
    }).run(ac.signal);
  } catch (e) {
    if (!ac.signal.aborted) {
      process.stderr.write(`capstan agent: ${(e as Error).message}\n`);
      return 1;
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    client.close();
  }
  return 0;
}
