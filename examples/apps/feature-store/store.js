// A tiny feature store for the Capstan examples: key/value features kept in one JSON file on the
// pod's volume (so they outlive the pod), served over HTTP:
//   PUT    /features/<key>   the request body (JSON) becomes the value -> {"key","value","pod"}
//   GET    /features/<key>   -> {"key","value","pod"}, 404 when unknown
//   GET    /features         -> {"pod","count","keys":[...]}
//   DELETE /features/<key>   -> 204
//   GET    /healthz          200 while the process answers
//   GET    /readyz           200 once the data file is loaded
// Every write replaces the file atomically (a temporary file, then rename), so a pod killed in the
// middle of a write leaves the previous contents.
// Environment: PORT (8080), DATA_DIR (/data), POD_NAME (reported in answers; default: hostname).
// Runs with plain Node.js (no dependencies), either as a file or as `node -e "$(FEATURE_STORE_JS)"`.
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

const env = process.env;
const port = Number(env.PORT || 8080);
const dataDir = env.DATA_DIR || '/data';
const file = path.join(dataDir, 'features.json');
const pod = env.POD_NAME || os.hostname();
const log = (msg, extra) => console.log(JSON.stringify({ time: new Date().toISOString(), msg, pod, ...extra }));

let features = {};
try {
  features = JSON.parse(fs.readFileSync(file, 'utf8'));
  log('loaded features', { file, count: Object.keys(features).length });
} catch (err) {
  if (err.code !== 'ENOENT') {
    log('cannot read the data file', { file, error: String(err.message || err) });
    process.exit(1);
  }
  fs.mkdirSync(dataDir, { recursive: true });
  log('no data file yet: starting empty', { file });
}

function save() {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(features));
  fs.renameSync(tmp, file);
}

function reply(res, status, body) {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    if (url.pathname === '/healthz' || url.pathname === '/readyz') return reply(res, 200, { ok: true, pod });
    if (url.pathname === '/features' && req.method === 'GET') return reply(res, 200, { pod, count: Object.keys(features).length, keys: Object.keys(features).sort() });
    const m = /^\/features\/([^/]+)$/.exec(url.pathname);
    if (!m) return reply(res, 404, { error: 'not found' });
    const key = decodeURIComponent(m[1]);
    if (req.method === 'GET') {
      if (!(key in features)) return reply(res, 404, { error: `no feature ${JSON.stringify(key)}`, pod });
      return reply(res, 200, { key, value: features[key], pod });
    }
    if (req.method === 'PUT') {
      let value;
      try {
        value = JSON.parse(body);
      } catch {
        return reply(res, 400, { error: 'the body must be JSON' });
      }
      features[key] = value;
      save();
      return reply(res, 200, { key, value, pod });
    }
    if (req.method === 'DELETE') {
      delete features[key];
      save();
      return reply(res, 204);
    }
    return reply(res, 405, { error: 'method not allowed' });
  });
});

server.listen(port, () => log('feature store listening', { port, file }));
process.on('SIGTERM', () => {
  log('SIGTERM: closing');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
