// A tiny static server for map-ui/dist that proxies /api and /healthz to a diemnong server,
// standing in for the binary's own embedding of map-ui/dist until it lands. It fills the
// page's basemap <meta> tags as the server's --basemap-url will, and can serve plain test
// tiles at /test-tiles/{z}/{x}/{y}.png so the basemap is testable without the internet.
//
//   node tests/e2e/serve.mjs --backend http://127.0.0.1:8080 [--port 8090]
//        [--basemap-url URL --basemap-attribution TEXT] [--dist DIR]
//
// Prints "serve: http://127.0.0.1:PORT/" when listening (PORT 0 picks a free one).

import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const backend = new URL(opt('backend', process.env.DN_BACKEND || 'http://127.0.0.1:8080'));
const port = Number(opt('port', process.env.DN_STATIC_PORT || 0));
const dist = resolve(opt('dist', join(here, '..', '..', 'map-ui', 'dist')));
const basemapUrl = opt('basemap-url', '');
const basemapAttribution = opt('basemap-attribution', '');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const escapeAttr = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
function indexHtml() {
  return readFileSync(join(dist, 'index.html'), 'utf8')
    .replace('<meta name="diemnong-basemap" content="">', `<meta name="diemnong-basemap" content="${escapeAttr(basemapUrl)}">`)
    .replace('<meta name="diemnong-basemap-attribution" content="">', `<meta name="diemnong-basemap-attribution" content="${escapeAttr(basemapAttribution)}">`);
}

// A 256×256 PNG: light green with a dark border, so a drawn basemap tile is easy to spot.
let tilePng = null;
function testTile() {
  if (tilePng) return tilePng;
  const w = 256;
  const raw = Buffer.alloc((w * 3 + 1) * w);
  for (let y = 0; y < w; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const edge = x < 2 || y < 2;
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = edge ? 40 : 170;
      raw[o + 1] = edge ? 90 : 220;
      raw[o + 2] = edge ? 40 : 160;
    }
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, body) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(type), body]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(tb));
    return Buffer.concat([len, tb, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(w, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  tilePng = Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return tilePng;
}

function proxy(req, res) {
  const headers = { ...req.headers };
  const up = http.request({ host: backend.hostname, port: backend.port || 80, method: req.method, path: req.url, headers }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', (e) => {
    res.writeHead(502, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'about:blank', title: 'Bad Gateway', status: 502, detail: `backend: ${e.message}` }));
  });
  req.pipe(up);
}

const server = http.createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path.startsWith('/api/') || path === '/healthz') return proxy(req, res);
  if (/^\/test-tiles\/\d+\/\d+\/\d+\.png$/.test(path)) {
    res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' });
    return res.end(testTile());
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405);
    return res.end();
  }
  if (path === '/' || path === '/index.html') {
    res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-cache' });
    return res.end(indexHtml());
  }
  const file = normalize(join(dist, path));
  if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    return res.end('not found');
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'cache-control': 'no-cache' });
  createReadStream(file).pipe(res);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`serve: http://127.0.0.1:${server.address().port}/`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
