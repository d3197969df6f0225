/**
 * The process's open-file limit (`ulimit -n`, soft), read where the system tells it: every
 * socket takes a file descriptor, and a server past its limit can accept no one.
 */
import { readFileSync } from 'node:fs';

/** The soft limit on open files, or undefined when unknown (not Linux) or unlimited. */
export function openFileLimit(limitsFile = '/proc/self/limits'): number | undefined {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync(limitsFile, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
