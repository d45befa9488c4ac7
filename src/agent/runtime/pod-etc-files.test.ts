import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { hostAliasEntries, hostsFile, resolvConf, sandboxHostsFile } from './pod-etc-files.js';
import type { SandboxRecord } from './process/state-store.js';
import { podHostDomain, sandboxConfig } from '../runtime-config.js';

const boilerplate = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';

test('a pod with its own network: the boilerplate, then each of its IPs with its hostname', () => {
  assert.equal(hostsFile({ hostNetwork: false, nodeHosts: 'ignored', hostname: 'web-1', podIPs: ['10.42.0.7'] }), `${boilerplate}10.42.0.7\tweb-1\n`);
  assert.equal(hostsFile({ hostNetwork: false, nodeHosts: '', hostname: 'p' }), boilerplate);
  assert.equal(hostsFile({ hostNetwork: false, nodeHosts: '', hostname: 'p', podIPs: ['10.42.0.7', 'fd00::7'] }), `${boilerplate}10.42.0.7\tp\nfd00::7\tp\n`);
});

test('a pod with a subdomain: the FQDN first, then the short name', () => {
  assert.equal(
    hostsFile({ hostNetwork: false, nodeHosts: '', hostname: 'db-0', hostDomain: 'db.prod.svc.cluster.local', podIPs: ['10.42.0.8'] }),
    `${boilerplate}10.42.0.8\tdb-0.db.prod.svc.cluster.local\tdb-0\n`,
  );
});

test('hostAliases: a blank line, the marker, one line per alias with its names tab-separated', () => {
  const aliases = [
    { ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] },
    { ip: '10.1.2.3', hostnames: ['foo.remote'] },
  ];
  assert.equal(hostAliasEntries(aliases), '\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n');
  assert.equal(hostAliasEntries([]), '');
  assert.equal(hostAliasEntries(undefined), '');
  assert.equal(
    hostsFile({ hostNetwork: false, nodeHosts: '', hostname: 'p', podIPs: ['10.42.0.9'], hostAliases: aliases }),
    `${boilerplate}10.42.0.9\tp\n\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n`,
  );
});

test("a host-network pod: the node's file under its own header, then the aliases; no pod lines", () => {
  const nodeHosts = '127.0.0.1 localhost\n192.0.2.1 node-a\n';
  assert.equal(hostsFile({ hostNetwork: true, nodeHosts, hostname: 'p', hostDomain: 'x.default.svc.cluster.local', podIPs: ['192.0.2.1'] }), `# Kubernetes-managed hosts file (host network).\n${nodeHosts}`);
  assert.equal(
    hostsFile({ hostNetwork: true, nodeHosts, hostname: 'p', hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }] }),
    `# Kubernetes-managed hosts file (host network).\n${nodeHosts}\n# Entries added by HostAliases.\n10.0.0.1\ta\n`,
  );
});

test('sandboxHostsFile: a sandbox without a namespace of its own shares the node file', () => {
  const config = { ...sandboxConfig({ metadata: { name: 'db-0', namespace: 'prod', uid: 'u' }, spec: { containers: [], hostname: 'db-0', subdomain: 'db', hostAliases: [{ ip: '10.9.9.9', hostnames: ['x'] }] } }, '/logs', 0, undefined, 'cluster.local') };
  const own = { id: 's', config, state: 'SANDBOX_READY', createdAt: 0, network: { netnsPath: '/run/netns/n', ips: ['10.42.0.8'], podCidr: '10.42.0.0/24' } } as SandboxRecord;
  assert.equal(sandboxHostsFile(own, 'node\n'), `${boilerplate}10.42.0.8\tdb-0.db.prod.svc.cluster.local\tdb-0\n\n# Entries added by HostAliases.\n10.9.9.9\tx\n`);
  assert.equal(sandboxHostsFile({ ...own, network: undefined }, 'node\n'), '# Kubernetes-managed hosts file (host network).\nnode\n\n# Entries added by HostAliases.\n10.9.9.9\tx\n');
});

test('podHostDomain and sandboxConfig: the domain only with a subdomain, aliases only when given', () => {
  const pod = (spec: Partial<NonNullable<Pod['spec']>>): Pod => ({ metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [], ...spec } });
  assert.equal(podHostDomain(pod({ subdomain: 'sub' }), 'cluster.local'), 'sub.ns.svc.cluster.local');
  assert.equal(podHostDomain(pod({ subdomain: 'sub' }), 'corp.example'), 'sub.ns.svc.corp.example');
  assert.equal(podHostDomain(pod({ hostname: 'h' }), 'cluster.local'), undefined);
  const plain = sandboxConfig(pod({}), '/logs', 0, undefined, 'cluster.local');
  assert.equal('hostDomain' in plain, false);
  assert.equal('hostAliases' in plain, false);
  const full = sandboxConfig(pod({ hostname: 'h', subdomain: 'sub', hostAliases: [{ ip: '1.2.3.4', hostnames: ['a', 'b'] }] }), '/logs', 0, undefined, 'cluster.local');
  assert.equal(full.hostname, 'h');
  assert.equal(full.hostDomain, 'sub.ns.svc.cluster.local');
  assert.deepEqual(full.hostAliases, [{ ip: '1.2.3.4', hostnames: ['a', 'b'] }]);
  // Without a cluster domain (a caller that only names the pod) there is no domain.
  assert.equal(sandboxConfig(pod({ subdomain: 'sub' }), '/logs', 0).hostDomain, undefined);
});

test('resolvConf: the sandbox DNS config, else the node file', () => {
  assert.equal(resolvConf(undefined, 'nameserver 1.1.1.1\n'), 'nameserver 1.1.1.1\n');
  assert.equal(resolvConf({ servers: [], searches: [], options: [] }, 'host\n'), 'host\n');
  assert.equal(resolvConf({ servers: ['10.0.0.10'], searches: ['ns.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] }, ''), 'search ns.svc.cluster.local svc.cluster.local\nnameserver 10.0.0.10\noptions ndots:5\n');
});
