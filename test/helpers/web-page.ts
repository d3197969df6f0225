/** The built page and HTTP helpers for the web dashboard's tests. */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { DEFAULT_ASSETS_DIR } from '../../src/web/page-assets.js';

/** Fails with what to do when the page was not built (npm test builds it first). */
export function requireBuiltPage(): void {
  if (!existsSync(join(DEFAULT_ASSETS_DIR, 'app.js'))) {
    throw new Error(
      `the web page is not built (${DEFAULT_ASSETS_DIR} has no app.js): run npm run build, or node scripts/build-web.mjs`,
    );
  }
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One real HTTP request; `headers.host` may be set to test the Host check. */
export function httpGet(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      // A connection of its own (no keep-alive pool): a request after a server closed must not
      // land on a pooled socket of the closed server ("socket hang up" instead of ECONNREFUSED).
      { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}
