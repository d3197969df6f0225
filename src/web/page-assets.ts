/**
 * The page, as bundled at build time (scripts/build-web.mjs: the TypeScript of src/web/page
 * with uPlot, and its CSS): read once into memory when the server starts, served from there.
 * Nothing is fetched at run time, and nothing else on disk is reachable.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebDashboardError } from './web-error.js';

/**
 * Where the build puts the page: dist/web/assets of the package. The same relative path works
 * from dist/web (the installed package) and from src/web (tests run the sources with tsx).
 */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../dist/web/assets/', import.meta.url));

export interface PageAsset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** The page's files by URL path (`/`, `/assets/app.js`, `/assets/app.css`). */
export function loadPageAssets(dir = DEFAULT_ASSETS_DIR): ReadonlyMap<string, PageAsset> {
  const assets = new Map<string, PageAsset>();
  for (const [file, contentType] of Object.entries(FILES)) {
    let body: Buffer;
    try {
      body = readFileSync(join(dir, file));
    } catch (error) {
      throw new WebDashboardError(
        'ASSETS_MISSING',
        `the web page is not built: ${join(dir, file)} is missing (run npm run build)`,
        { cause: error },
      );
    }
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(file === 'index.html' ? '/' : `/assets/${file}`, { body, contentType, etag });
  }
  return assets;
}
