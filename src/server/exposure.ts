/**
 * What a server exposes, said once at start: nothing on loopback; beyond it, everything to
 * anyone without a token, and the token itself to anyone on the path without TLS.
 */

/** True for an address of this machine only. */
export function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/** What listening on `address` exposes, as a warning; undefined when nothing is. */
export function exposureWarning(
  address: string,
  secured: { token: boolean; tls: boolean },
): string | undefined {
  if (isLoopbackAddress(address)) return undefined;
  if (!secured.token) {
    return (
      `listening on ${address} without a token: anyone who can reach this machine can read its host name, ` +
      'operating system, CPU, memory, disk and GPU usage and its disk paths; require a token ' +
      '(--token-file or MONITORING_TOKEN, or the token option)'
    );
  }
  if (!secured.tls) {
    return (
      `listening on ${address} without TLS: the token and the metrics cross the network in clear text; ` +
      'serve wss:// (--tls-cert and --tls-key, or the tls option)'
    );
  }
  return undefined;
}
