/**
 * Which CPUs this process may run on. The harness pins side-by-side clients to one CPU
 * (harness.sharedCpu) and each client reports where it ran, so a table says how it was measured.
 */
import { readFileSync } from 'node:fs';

/** This process's CPU affinity list as Linux writes it (`0-1`, `1`, `0,2-3`); undefined elsewhere. */
export function allowedCpus(): string | undefined {
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
