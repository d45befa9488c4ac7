// A small model server for the Capstan examples: a linear classifier loaded from a JSON model
// file (or the MODEL_JSON variable), served over HTTP with the endpoints a platform expects:
//   POST /predict   {"features":[...]} -> {"model","version","score","label","pod"} (GET ?features=1,2,3,4 too)
//   GET  /healthz   liveness: 200 while the process answers
//   GET  /readyz    readiness: 200 once the model is loaded and until shutdown starts, else 503
//   GET  /version   the model's name and version
//   GET  /config    the files of CONFIG_DIR, read again every second (mounted ConfigMap updates)
//   GET  /metrics   Prometheus text: requests, latency histogram, model info, process CPU/memory
//   POST /admin/crash  exits with code 1 (a crash);  POST /admin/hang  stops answering (a hang)
// Environment: PORT (8080), MODEL_PATH or MODEL_JSON, MODEL_VERSION (overrides the file's),
// STARTUP_DELAY_MS (time to "load" the model; not ready until then), CRASH_AFTER_MS (exit 1 after
// this long), CPU_MS_PER_REQUEST (CPU burnt per prediction), SHUTDOWN_DELAY_MS (after SIGTERM:
// keep serving, not ready, this long before closing; default 1000), CONFIG_DIR, API_KEY (when set,
// /predict needs the header x-api-key), THRESHOLD (label cut-off, default 0.5).
// Runs with plain Node.js (no dependencies), either as a file or as `node -e "$(MODEL_SERVER_JS)"`.
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

const env = process.env;
const port = Number(env.PORT || 8080);
const pod = env.POD_NAME || os.hostname();
const started = Date.now();
const log = (msg, extra) => console.log(JSON.stringify({ time: new Date().toISOString(), msg, pod, ...extra }));

function loadModel() {
  const text = env.MODEL_PATH ? fs.readFileSync(env.MODEL_PATH, 'utf8') : env.MODEL_JSON;
  if (!text) throw new Error('no model: set MODEL_PATH (a file) or MODEL_JSON');
  const m = JSON.parse(text);
  if (!Array.isArray(m.weights) || m.weights.some((w) => typeof w !== 'number')) throw new Error('the model needs numeric "weights"');
  return { name: m.name || 'model', version: env.MODEL_VERSION || m.version || 'v0', weights: m.weights, bias: Number(m.bias || 0) };
}

let model;
try {
  model = loadModel();
} catch (err) {
  log('cannot load the model', { error: String(err.message || err) });
  process.exit(2);
}
let ready = false;
let draining = false;
let hung = false;
setTimeout(() => {
  ready = true;
  log('model loaded', { model: model.name, version: model.version });
}, Number(env.STARTUP_DELAY_MS || 0));
if (env.CRASH_AFTER_MS) {
  setTimeout(() => {
    log('crashing as asked (CRASH_AFTER_MS)');
    process.exit(1);
  }, Number(env.CRASH_AFTER_MS));
}

let config = {};
function readConfig() {
  if (!env.CONFIG_DIR) return;
  const next = {};
  try {
    for (const f of fs.readdirSync(env.CONFIG_DIR)) {
      if (f.startsWith('..')) continue;
      const p = path.join(env.CONFIG_DIR, f);
      if (fs.statSync(p).isFile()) next[f] = fs.readFileSync(p, 'utf8');
    }
  } catch {
    return;
  }
  if (JSON.stringify(next) !== JSON.stringify(config)) {
    if (Object.keys(config).length) log('configuration changed', { files: Object.keys(next) });
    config = next;
  }
}
readConfig();
setInterval(readConfig, 1000).unref();

// Prometheus metrics, kept by hand (no client library).
const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const requests = new Map();
const hist = { counts: buckets.map(() => 0), sum: 0, count: 0 };
function observe(route, code, seconds) {
  const key = `${route}|${code}`;
  requests.set(key, (requests.get(key) || 0) + 1);
  if (route !== '/predict') return;
  hist.sum += seconds;
  hist.count++;
  buckets.forEach((b, i) => {
    if (seconds <= b) hist.counts[i]++;
  });
}
function metricsText() {
  const lines = [];
  lines.push('# HELP model_requests_total Requests answered, by path and status code.', '# TYPE model_requests_total counter');
  for (const [key, n] of requests) {
    const [route, code] = key.split('|');
    lines.push(`model_requests_total{path="${route}",code="${code}"} ${n}`);
  }
  lines.push('# HELP model_request_duration_seconds Time to answer /predict.', '# TYPE model_request_duration_seconds histogram');
  buckets.forEach((b, i) => lines.push(`model_request_duration_seconds_bucket{le="${b}"} ${hist.counts[i]}`));
  lines.push(`model_request_duration_seconds_bucket{le="+Inf"} ${hist.count}`, `model_request_duration_seconds_sum ${hist.sum}`, `model_request_duration_seconds_count ${hist.count}`);
  lines.push('# HELP model_info The model being served.', '# TYPE model_info gauge', `model_info{name="${model.name}",version="${model.version}"} 1`);
  lines.push('# HELP model_ready Whether the server takes traffic.', '# TYPE model_ready gauge', `model_ready ${ready && !draining ? 1 : 0}`);
  const cpu = process.cpuUsage();
  lines.push('# HELP process_cpu_seconds_total User and system CPU time.', '# TYPE process_cpu_seconds_total counter', `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`);
  lines.push('# HELP process_resident_memory_bytes Resident memory.', '# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${process.memoryUsage().rss}`);
  lines.push('# HELP process_start_time_seconds Start time since the epoch.', '# TYPE process_start_time_seconds gauge', `process_start_time_seconds ${Math.floor(started / 1000)}`);
  return lines.join('\n') + '\n';
}

function burn(ms) {
  const until = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  let x = 0;
  while (process.hrtime.bigint() < until) x += Math.sqrt(x + 1);
  return x;
}

function predict(features) {
  if (!Array.isArray(features) || features.length !== model.weights.length || features.some((f) => typeof f !== 'number' || !Number.isFinite(f))) {
    return { error: `features must be ${model.weights.length} numbers` };
  }
  if (env.CPU_MS_PER_REQUEST) burn(Number(env.CPU_MS_PER_REQUEST));
  const z = features.reduce((s, f, i) => s + f * model.weights[i], model.bias);
  const score = 1 / (1 + Math.exp(-z));
  const threshold = Number(config.threshold ?? env.THRESHOLD ?? 0.5);
  return { model: model.name, version: model.version, score: Math.round(score * 1e4) / 1e4, label: score >= threshold ? 1 : 0, pod };
}

function send(res, code, body, type = 'application/json') {
  const text = typeof body === 'string' ? body : JSON.stringify(body) + '\n';
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'x-model-version': model.version });
  res.end(text);
}

const server = http.createServer((req, res) => {
  if (hung) return; // a hung server: the request is never answered
  const t0 = process.hrtime.bigint();
  const url = new URL(req.url || '/', 'http://model');
  const route = url.pathname;
  res.on('finish', () => observe(route, res.statusCode, Number(process.hrtime.bigint() - t0) / 1e9));
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => {
    if (body.length < 1e6) body += d;
  });
  req.on('end', () => {
    if (route === '/healthz') return send(res, 200, 'ok\n', 'text/plain');
    if (route === '/readyz') return ready && !draining ? send(res, 200, 'ready\n', 'text/plain') : send(res, 503, draining ? 'shutting down\n' : 'loading the model\n', 'text/plain');
    if (route === '/metrics') return send(res, 200, metricsText(), 'text/plain; version=0.0.4');
    if (route === '/version') return send(res, 200, { model: model.name, version: model.version, pod });
    if (route === '/config') return send(res, 200, config);
    if (route === '/admin/crash' && req.method === 'POST') {
      send(res, 202, { crashing: true });
      log('crashing as asked');
      return setTimeout(() => process.exit(1), 50);
    }
    if (route === '/admin/hang' && req.method === 'POST') {
      send(res, 202, { hanging: true });
      log('hanging as asked: requests are no longer answered');
      hung = true;
      return;
    }
    if (route === '/predict') {
      if (!ready) return send(res, 503, { error: 'the model is still loading' });
      if (env.API_KEY && req.headers['x-api-key'] !== env.API_KEY) return send(res, 401, { error: 'missing or wrong x-api-key' });
      let features;
      try {
        features = req.method === 'GET' ? (url.searchParams.get('features') || '').split(',').filter(Boolean).map(Number) : JSON.parse(body || '{}').features;
      } catch {
        return send(res, 400, { error: 'the body must be JSON: {"features":[...]}' });
      }
      const out = predict(features);
      return send(res, out.error ? 400 : 200, out);
    }
    send(res, 404, { error: `no route ${route}` });
  });
});
server.keepAliveTimeout = 5000;
server.listen(port, () => log('listening', { port, model: model.name, version: model.version }));

// Graceful shutdown: stop being ready at once, keep answering while endpoints are withdrawn, then
// close (idle keep-alive connections too) and exit when the last request is done.
process.on('SIGTERM', () => {
  if (draining) return;
  draining = true;
  log('SIGTERM: draining');
  setTimeout(() => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  }, Number(env.SHUTDOWN_DELAY_MS ?? 1000));
});
