// Bundles the web dashboard's page at build time: the TypeScript of src/web/page with uPlot
// into one script, uPlot's CSS and ours into one style sheet, and the HTML, all under
// dist/web/assets, so the package serves them and fetches nothing at run time.
// Usage: node scripts/build-web.mjs [OUT_DIR]   (npm run build runs it after tsc)
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const page = join(root, 'src/web/page');
const out = resolve(process.argv[2] ?? join(root, 'dist/web/assets'));
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(page, 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  logLevel: 'warning',
});

const require = createRequire(import.meta.url);
const uplotCss = readFileSync(join(dirname(require.resolve('uplot')), 'uPlot.min.css'), 'utf8');
writeFileSync(join(out, 'app.css'), `${uplotCss}\n${readFileSync(join(page, 'style.css'), 'utf8')}`);
copyFileSync(join(page, 'index.html'), join(out, 'index.html'));
