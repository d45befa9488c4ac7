import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DnsMetrics, serveDnsMetrics } from './metrics.js';
import { Rcode, RRType } from './message.js';

describe('cluster DNS metrics', () => {
  it('counts requests by protocol, type and zone and responses by rcode and plugin', () => {
    const m = new DnsMetrics('cluster.local');
    m.observe({ name: 'web.default.svc.cluster.local', type: RRType.A, class: 1 }, Rcode.NOERROR, 'cluster', 'udp');
    m.observe({ name: 'WEB.default.svc.cluster.local.', type: RRType.A, class: 1 }, Rcode.NOERROR, 'cluster', 'udp');
    m.observe({ name: 'example.com', type: RRType.AAAA, class: 1 }, Rcode.SERVFAIL, 'forward', 'tcp');
    m.observe(undefined, Rcode.FORMERR, 'error', 'udp');
    const text = m.render();
    assert.match(text, /^# TYPE coredns_dns_requests_total counter$/m);
    assert.match(text, /^coredns_dns_requests_total\{proto="udp",type="A",zone="cluster\.local\."\} 2$/m);
    assert.match(text, /^coredns_dns_requests_total\{proto="tcp",type="AAAA",zone="\."\} 1$/m);
    assert.match(text, /^coredns_dns_responses_total\{plugin="kubernetes",rcode="NOERROR",zone="cluster\.local\."\} 2$/m);
    assert.match(text, /^coredns_dns_responses_total\{plugin="forward",rcode="SERVFAIL",zone="\."\} 1$/m);
    assert.match(text, /^coredns_dns_responses_total\{plugin="",rcode="FORMERR",zone="\."\} 1$/m);
  });

  it('serves the text at /metrics and 404 elsewhere', async () => {
    const m = new DnsMetrics('cluster.local');
    m.observe({ name: 'a.cluster.local', type: RRType.A, class: 1 }, Rcode.NXDOMAIN, 'cluster', 'udp');
    const server = await serveDnsMetrics(m, '127.0.0.1', 0);
    try {
      const port = (server.address() as { port: number }).port;
      const ok = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /rcode="NXDOMAIN"/);
      const missing = await fetch(`http://127.0.0.1:${port}/other`);
      assert.equal(missing.status, 404);
      await missing.text();
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
