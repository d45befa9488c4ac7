import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestInfo } from './request-info.js';
import { RequestMetrics, requestLabels } from './request-metrics.js';

const labels = (method: string, url: string, contentType = '') => {
  const u = new URL(url, 'https://x');
  return requestLabels(method, parseRequestInfo(method, u.pathname, u.searchParams), u.searchParams, contentType);
};

describe('requestLabels', () => {
  test('verbs as kube-apiserver cleans them', () => {
    assert.equal(labels('GET', '/api/v1/namespaces/default/pods').verb, 'LIST');
    assert.equal(labels('GET', '/api/v1/namespaces/default/pods?watch=true').verb, 'WATCH');
    assert.equal(labels('GET', '/api/v1/namespaces/default/pods/p').verb, 'GET');
    assert.equal(labels('POST', '/api/v1/namespaces/default/pods').verb, 'POST');
    assert.equal(labels('PATCH', '/apis/apps/v1/namespaces/default/deployments/d', 'application/apply-patch+yaml').verb, 'APPLY');
    assert.equal(labels('PATCH', '/apis/apps/v1/namespaces/default/deployments/d', 'application/merge-patch+json').verb, 'PATCH');
    assert.equal(labels('DELETE', '/api/v1/namespaces/default/pods').verb, 'DELETE');
    assert.equal(labels('POST', '/api/v1/namespaces/default/pods/p/exec?command=ls').verb, 'CONNECT');
    assert.equal(labels('GET', '/api/v1/nodes/n/proxy/metrics').verb, 'CONNECT');
    assert.equal(labels('GET', '/healthz').verb, 'GET');
  });

  test('group, version, resource, subresource, scope and dry run', () => {
    assert.deepEqual(labels('PUT', '/apis/apps/v1/namespaces/ns/deployments/d/status?dryRun=All'), {
      component: 'apiserver',
      dry_run: 'All',
      group: 'apps',
      version: 'v1',
      resource: 'deployments',
      subresource: 'status',
      scope: 'resource',
      verb: 'PUT',
    });
    assert.equal(labels('POST', '/api/v1/namespaces/ns/pods').scope, 'resource');
    assert.equal(labels('GET', '/api/v1/namespaces/ns/pods').scope, 'namespace');
    assert.equal(labels('GET', '/api/v1/pods').scope, 'cluster');
    assert.equal(labels('GET', '/metrics').scope, '');
  });
});

describe('RequestMetrics', () => {
  test('counts requests by code, times the short ones and tracks those in flight', () => {
    let now = 0;
    const m = new RequestMetrics(() => now);
    const list = labels('GET', '/api/v1/namespaces/default/pods');
    const finish = m.begin(list);
    const watch = m.begin(labels('GET', '/api/v1/pods?watch=1'));
    assert.match(m.render(), /^apiserver_current_inflight_requests\{request_kind="readOnly"\} 1$/m);
    now = 30;
    finish(200);
    finish(200); // once only
    m.begin(labels('POST', '/api/v1/namespaces/default/pods'))(409);
    watch(200);
    const text = m.render();
    assert.match(text, /^# TYPE apiserver_request_total counter$/m);
    assert.match(text, /^apiserver_request_total\{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"\} 1$/m);
    assert.match(text, /^apiserver_request_total\{code="409",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"\} 1$/m);
    assert.match(text, /^apiserver_request_total\{code="200",.*verb="WATCH",version="v1"\} 1$/m);
    assert.match(text, /^apiserver_request_duration_seconds_bucket\{component="apiserver",.*verb="LIST",version="v1",le="0.025"\} 0$/m);
    assert.match(text, /^apiserver_request_duration_seconds_bucket\{component="apiserver",.*verb="LIST",version="v1",le="0.05"\} 1$/m);
    assert.match(text, /^apiserver_request_duration_seconds_count\{component="apiserver",.*verb="LIST",version="v1"\} 1$/m);
    assert.doesNotMatch(text, /^apiserver_request_duration_seconds_count\{.*verb="WATCH"/m);
    assert.match(text, /^apiserver_current_inflight_requests\{request_kind="readOnly"\} 0$/m);
    assert.match(text, /^process_start_time_seconds \d+$/m);
  });
});
