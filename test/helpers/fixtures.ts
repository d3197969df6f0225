import { readFileSync } from 'node:fs';

/** A fixture message, parsed; `dialect` is 'real-server' or 'documented'. */
export function fixture(dialect: 'real-server' | 'documented', name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/${dialect}/${name}.json`, import.meta.url), 'utf8'));
}

/** A fixture's compact JSON text, as a server sends it. */
export function fixtureFrame(dialect: 'real-server' | 'documented', name: string): string {
  return JSON.stringify(fixture(dialect, name));
}
