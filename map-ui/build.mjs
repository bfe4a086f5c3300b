// Builds the map page into dist/: index.html, app.js (our code, minified ESM), app.css, and
// MapLibre GL JS vendored unchanged in dist/vendor/ (with its licence). The server embeds
// dist/ as it is; nothing is fetched from elsewhere at run time.
//
//   node build.mjs          build
//   node build.mjs --size   build, then print raw and gzipped sizes

import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const dist = join(here, 'dist');
const maplibre = join(here, 'node_modules', 'maplibre-gl');

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'vendor'), { recursive: true });

// `import … from 'maplibre-gl'` stays an import of the vendored file next to app.js, so our
// bundle stays small and MapLibre finds its worker (maplibre-gl-worker.mjs) beside itself.
const vendorMaplibre = {
  name: 'vendor-maplibre',
  setup(b) {
    b.onResolve({ filter: /^maplibre-gl$/ }, () => ({ path: './vendor/maplibre-gl.mjs', external: true }));
  },
};

await esbuild.build({
  entryPoints: [join(src, 'main.js')],
  outfile: join(dist, 'app.js'),
  bundle: true,
  format: 'esm',
  minify: true,
  target: ['chrome100', 'firefox100', 'safari15.4'],
  legalComments: 'none',
  plugins: [vendorMaplibre],
  logLevel: 'warning',
});
await esbuild.build({
  entryPoints: [join(src, 'style.css')],
  outfile: join(dist, 'app.css'),
  bundle: true,
  minify: true,
  target: ['chrome100', 'firefox100', 'safari15.4'],
  logLevel: 'warning',
});

const html = readFileSync(join(src, 'index.html'), 'utf8')
  .replace(/<!--(?! Filled)[\s\S]*?-->/g, '')
  .replace(/\n\s*\n/g, '\n');
writeFileSync(join(dist, 'index.html'), html);

for (const f of ['maplibre-gl.mjs', 'maplibre-gl-worker.mjs', 'maplibre-gl.css']) {
  copyFileSync(join(maplibre, 'dist', f), join(dist, 'vendor', f));
}
copyFileSync(join(maplibre, 'LICENSE.txt'), join(dist, 'vendor', 'LICENSE-maplibre-gl.txt'));
const version = JSON.parse(readFileSync(join(maplibre, 'package.json'), 'utf8')).version;
writeFileSync(join(dist, 'vendor', 'VERSION'), `maplibre-gl ${version}\n`);

if (process.argv.includes('--size')) {
  const row = (f) => {
    const b = readFileSync(join(dist, f));
    return { file: f, bytes: statSync(join(dist, f)).size, gzip: gzipSync(b, { level: 9 }).length };
  };
  const own = ['index.html', 'app.js', 'app.css'].map(row);
  const vendor = ['vendor/maplibre-gl.mjs', 'vendor/maplibre-gl-worker.mjs', 'vendor/maplibre-gl.css'].map(row);
  const total = (rows) => rows.reduce((a, r) => ({ bytes: a.bytes + r.bytes, gzip: a.gzip + r.gzip }), { bytes: 0, gzip: 0 });
  for (const r of [...own, ...vendor]) console.log(`${r.file.padEnd(32)} ${String(r.bytes).padStart(9)} B  ${String(r.gzip).padStart(8)} B gzipped`);
  const o = total(own);
  const v = total(vendor);
  console.log(`${'own (html+js+css)'.padEnd(32)} ${String(o.bytes).padStart(9)} B  ${String(o.gzip).padStart(8)} B gzipped`);
  console.log(`${'maplibre-gl (vendored)'.padEnd(32)} ${String(v.bytes).padStart(9)} B  ${String(v.gzip).padStart(8)} B gzipped`);
}
