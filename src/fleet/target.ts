/**
 * A target: one named server of a fleet, with the connection settings that may differ from
 * one server to the next. Whatever a target does not set, it takes from the fleet.
 */
import { isWebSocketUri } from '../config.js';
import { InvalidOptionError } from '../errors.js';
import type { WebSocketClientOptions } from '../transport/websocket-client.js';

/** The connection settings a fleet gives every target that does not set its own. Times in seconds. */
export type ConnectionOptions = Omit<WebSocketClientOptions, 'logger' | 'connectSlots'>;

export interface TargetOptions extends ConnectionOptions {
  /** Unique name in the fleet: printed before its records, the `target` label of its metrics. */
  name: string;
  /** Server to watch (`ws://` or `wss://`). */
  uri: string;
  /** Extra labels (`site: paris`), passed on to the exports. */
  labels?: Record<string, string>;
  /** Sent as `Authorization: Bearer <token>` on every connection. */
  token?: string;
}

/** Any printable text up to 256 characters: shown in a terminal, a file and a label value. */
const TARGET_NAME = /^[^\p{C}]{1,256}$/u;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;

/** The name of a target given without one: its host and port (`10.0.0.5:8765`). */
export function defaultTargetName(uri: string): string {
  try {
    const url = new URL(uri);
    const port = url.port || (url.protocol === 'wss:' ? '443' : '80');
    const path = url.pathname === '/' ? '' : url.pathname;
    return `${url.hostname}:${port}${path}`;
  } catch {
    return uri;
  }
}

/**
 * Checks a target's own fields; the transport checks the connection options when the
 * target's client is created. `where` names the target in messages (`targets[2]`).
 */
export function validateTarget(target: TargetOptions, where = 'target'): void {
  if (target === null || typeof target !== 'object') {
    throw new InvalidOptionError(where, target, 'an object with a name and a uri');
  }
  if (typeof target.name !== 'string' || !TARGET_NAME.test(target.name)) {
    throw new InvalidOptionError(`${where}.name`, target.name, 'a name of 1 to 256 printable characters');
  }
  if (typeof target.uri !== 'string' || !isWebSocketUri(target.uri)) {
    throw new InvalidOptionError(`${where}.uri`, target.uri, 'a ws:// or wss:// URI');
  }
  if (target.labels !== undefined) {
    if (target.labels === null || typeof target.labels !== 'object' || Array.isArray(target.labels)) {
      throw new InvalidOptionError(`${where}.labels`, target.labels, 'an object of string values');
    }
    for (const [key, value] of Object.entries(target.labels)) {
      if (!LABEL_NAME.test(key) || key === 'target' || key === 'host') {
        throw new InvalidOptionError(
          `${where}.labels`,
          key,
          'label names of letters, digits and _ (not starting with a digit), other than target and host',
        );
      }
      if (typeof value !== 'string') {
        throw new InvalidOptionError(`${where}.labels.${key}`, value, 'a string');
      }
    }
  }
  if (target.token !== undefined && (typeof target.token !== 'string' || target.token === '')) {
    throw new InvalidOptionError(`${where}.token`, '<redacted>', 'a non-empty string');
  }
}
