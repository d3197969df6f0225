/**
 * Every benchmark process runs compiled JavaScript under plain `node`, as the package ships,
 * not under tsx. tsx hooks every module load (a loader thread, transforms kept in memory),
 * which cost 29 MB in a process that loads `ws` and 34 MB in one that loads dist/index.js:
 * the process with more modules paid more, so every RSS ratio measured the loader too.
 *
 * Each entry is bundled once per run by esbuild into bench/.build/ (git-ignored), in about
 * 50 ms. Packages stay imports (they resolve from the root's node_modules), and
 * `import.meta.url` keeps the source's URL, so `new URL('../dist/...', import.meta.url)` and
 * the fixture paths of the bundled modules (all in bench/) resolve as they do in the source.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '.build');
const built = new Map<string, string>();

/** The compiled form of `source` (a bench/*.ts entry), built on first use in this process. */
export function compiledEntry(source: string): string {
  const known = built.get(source);
  if (known !== undefined) return known;
  const outfile = join(OUT_DIR, basename(source).replace(/\.ts$/, '.mjs'));
  const [output] = buildSync({
    entryPoints: [source],
    write: false,
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(source).href) },
    logLevel: 'warning',
  }).outputFiles;
  if (output === undefined) throw new Error(`esbuild wrote nothing for ${source}`);
  // Test files run in parallel processes and may build the same entry at once: each writes
  // its own file and renames it into place, so no process ever runs a half-written one.
  mkdirSync(OUT_DIR, { recursive: true });
  const partial = `${outfile}.${process.pid}`;
  writeFileSync(partial, output.contents);
  renameSync(partial, outfile);
  built.set(source, outfile);
  return outfile;
}
