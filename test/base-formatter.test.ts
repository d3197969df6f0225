import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BaseFormatter,
  clockTimeOf,
  type FormatterOptions,
  formatBytePair,
  formatBytes,
  formatDuration,
  formatPercent,
  progressBar,
  usageStatus,
} from '../src/formatters/base-formatter.js';
import type { ParsedMessage } from '../src/protocol/frame.js';
import { sanitizeForTerminal } from '../src/protocol/sanitize.js';
import type { MonitoringSnapshot } from '../src/protocol/snapshot.js';
import {
  documentedSnapshot,
  emptySnapshot,
  GIB,
  HOSTILE,
  HOSTILE_PIECES,
} from './helpers/formatter-snapshots.js';

const GREEN = '\u001b[32m';
const YELLOW = '\u001b[33m';
const RED = '\u001b[31m';
const END = '\u001b[39m';

/** A user's own format, built only from the protected helpers. */
class CpuFormatter extends BaseFormatter {
  formatMonitoringData(snapshot: MonitoringSnapshot, _message: ParsedMessage): string {
    const cpu = snapshot.cpu.usagePercent;
    return (
      `${this.sourcePrefix(snapshot.source)}${this.timeOf(snapshot)} ` +
      `${this.colorByThreshold(this.formatPercent(cpu), cpu)} ${this.progressBar(cpu, 10)} ${this.statusWord(cpu)} ` +
      `${this.formatBytes(snapshot.memory.usedBytes)} ${this.formatDuration(90)}`
    );
  }
}

function assertNoHostile(output: string): void {
  for (const piece of HOSTILE_PIECES) {
    assert.ok(
      !output.includes(piece),
      `${JSON.stringify(piece)} reached the output: ${JSON.stringify(output)}`,
    );
  }
}

describe('formatDuration', () => {
  it('is exact to the second from one minute on', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(45), '45s');
    assert.equal(formatDuration(59), '59s');
    assert.equal(formatDuration(60), '1m 0s');
    assert.equal(formatDuration(90), '1m 30s');
    assert.equal(formatDuration(3599), '59m 59s');
    assert.equal(formatDuration(3600), '1h 0m 0s');
    assert.equal(formatDuration(3661), '1h 1m 1s');
    assert.equal(formatDuration(86400), '1d 0h 0m 0s');
    assert.equal(formatDuration(90061), '1d 1h 1m 1s');
    assert.equal(formatDuration(10 * 86400 + 5), '10d 0h 0m 5s');
  });

  it('keeps tenths below a minute and rounds to the second above', () => {
    assert.equal(formatDuration(0.5), '0.5s');
    assert.equal(formatDuration(12.34), '12.3s');
    assert.equal(formatDuration(59.96), '1m 0s');
    assert.equal(formatDuration(90.6), '1m 31s');
  });

  it('prints n/a for a missing or impossible duration', () => {
    assert.equal(formatDuration(undefined), 'n/a');
    assert.equal(formatDuration(-1), 'n/a');
    assert.equal(formatDuration(Number.NaN), 'n/a');
    assert.equal(formatDuration(Number.POSITIVE_INFINITY), 'n/a');
  });
});

describe('formatBytes', () => {
  it('uses binary multiples with at most one decimal', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1 KB');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(2048576), '2 MB');
    assert.equal(formatBytes(8.2 * GIB), '8.2 GB');
    assert.equal(formatBytes(500 * GIB), '500 GB');
    assert.equal(formatBytes(1024 ** 4 * 3), '3 TB');
  });

  it('moves to the next unit rather than print 1024', () => {
    assert.equal(formatBytes(1024 * 1024 - 1), '1 MB');
    assert.equal(formatBytes(1023.9 * 1024), '1023.9 KB');
  });

  it('prints n/a for a missing or negative amount', () => {
    assert.equal(formatBytes(undefined), 'n/a');
    assert.equal(formatBytes(-5), 'n/a');
    assert.equal(formatBytes(Number.NaN), 'n/a');
  });
});

describe('formatBytePair', () => {
  it('shares the unit when both print in it, as the documentation does', () => {
    assert.equal(formatBytePair(8.2 * GIB, 13.1 * GIB), '8.2/13.1 GB');
    assert.equal(formatBytePair(142.5 * GIB, 500 * GIB), '142.5/500 GB');
  });

  it('gives each side its unit when they differ, and n/a for a missing side', () => {
    assert.equal(formatBytePair(131461120, 25276510208), '125.4 MB/23.5 GB');
    assert.equal(formatBytePair(undefined, 13.1 * GIB), 'n/a / 13.1 GB');
    assert.equal(formatBytePair(undefined, undefined), undefined);
  });
});

describe('formatPercent and usageStatus', () => {
  it('prints one decimal by default and n/a when missing', () => {
    assert.equal(formatPercent(45.2), '45.2%');
    assert.equal(formatPercent(15), '15.0%');
    assert.equal(formatPercent(25.11065608945671, 2), '25.11%');
    assert.equal(formatPercent(undefined), 'n/a');
  });

  it('names the thresholds 80 and 90', () => {
    assert.equal(usageStatus(0), 'Normal');
    assert.equal(usageStatus(79.9), 'Normal');
    assert.equal(usageStatus(80), 'Warning');
    assert.equal(usageStatus(89.9), 'Warning');
    assert.equal(usageStatus(90), 'Critical');
    assert.equal(usageStatus(100), 'Critical');
    assert.equal(usageStatus(undefined), 'n/a');
  });
});

describe('progressBar', () => {
  it('fills round(percent / 100 × 20) characters', () => {
    assert.equal(progressBar(0), '▒'.repeat(20));
    assert.equal(progressBar(45.2), `${'█'.repeat(9)}${'▒'.repeat(11)}`);
    assert.equal(progressBar(62.8), `${'█'.repeat(13)}${'▒'.repeat(7)}`);
    assert.equal(progressBar(100), '█'.repeat(20));
  });

  it('clamps values outside 0..100', () => {
    assert.equal(progressBar(150), '█'.repeat(20));
    assert.equal(progressBar(-3), '▒'.repeat(20));
  });

  it('draws a missing value as spaces, never as an empty (0 %) bar', () => {
    assert.equal(progressBar(undefined), ' '.repeat(20));
    assert.equal(progressBar(Number.NaN, 5), ' '.repeat(5));
  });

  it('takes another length', () => {
    assert.equal(progressBar(50, 10), '█████▒▒▒▒▒');
    assert.equal(progressBar(50, 0), '');
  });
});

describe('clockTimeOf', () => {
  it('takes HH:MM:SS from the characters of an ISO-like timestamp, without time-zone conversion', () => {
    assert.equal(clockTimeOf('2025-01-03T14:30:25.123456'), '14:30:25');
    assert.equal(clockTimeOf('2025-01-03 14:30:25'), '14:30:25');
    assert.equal(clockTimeOf('2025-01-03T23:59:59Z'), '23:59:59');
    assert.equal(clockTimeOf('14:30:25.5'), '14:30:25');
    assert.equal(clockTimeOf('yesterday'), undefined);
    assert.equal(clockTimeOf(undefined), undefined);
  });
});

describe('a custom BaseFormatter subclass', () => {
  it('formats with the protected helpers', () => {
    const formatter = new CpuFormatter();
    assert.equal(formatter.color, false);
    assert.equal(
      formatter.formatMonitoringData(documentedSnapshot(), {}),
      '14:30:25 45.2% █████▒▒▒▒▒ Normal 8.2 GB 1m 30s',
    );
  });

  it('colours by threshold only when colour is on', () => {
    const colored = new CpuFormatter({ color: true });
    const at = (usagePercent: number) =>
      colored.formatMonitoringData(documentedSnapshot({ cpu: { usagePercent } }), {}).split(' ')[1];
    assert.equal(at(79.9), `${GREEN}79.9%${END}`);
    assert.equal(at(80), `${YELLOW}80.0%${END}`);
    assert.equal(at(90), `${RED}90.0%${END}`);
    const missing = colored.formatMonitoringData(emptySnapshot({ timestamp: '2026-01-01T00:00:01' }), {});
    assert.equal(missing, '00:00:01 n/a            n/a n/a 1m 30s');
  });

  it('falls back to the local time of receipt when the timestamp is not ISO-like', () => {
    const snapshot = emptySnapshot({ timestamp: 'soon' });
    assert.equal(new CpuFormatter().formatMonitoringData(snapshot, {}).slice(0, 8), '08:05:09');
  });

  it('prefixes the source only with showSource, sanitized', () => {
    const options: FormatterOptions = { showSource: true };
    const snapshot = documentedSnapshot({ source: `web-1${HOSTILE}` });
    const line = new CpuFormatter(options).formatMonitoringData(snapshot, {});
    assert.ok(line.startsWith(`[web-1${sanitizeForTerminal(HOSTILE)}] 14:30:25 `), line);
    assertNoHostile(line);
    assert.ok(new CpuFormatter().formatMonitoringData(snapshot, {}).startsWith('14:30:25 '));
    assert.ok(
      new CpuFormatter(options).formatMonitoringData(documentedSnapshot(), {}).startsWith('14:30:25 '),
    );
  });
});

describe('BaseFormatter notices, errors and alerts', () => {
  const plain = new CpuFormatter();
  const colored = new CpuFormatter({ color: true });

  it('formats a connection message with the time of its timestamp', () => {
    assert.equal(
      plain.formatConnectionMessage('Connected to monitoring server', '2026-11-25T16:46:29.042542'),
      '[16:46:29] ✓ Connected to monitoring server',
    );
    assert.equal(plain.formatConnectionMessage('hello'), '✓ hello');
    assert.equal(colored.formatConnectionMessage('hello'), `${GREEN}✓ hello${END}`);
  });

  it('formats errors by severity', () => {
    assert.equal(plain.formatError('Invalid message'), '✗ Error: Invalid message');
    assert.equal(plain.formatError(new Error('connection refused')), '✗ Error: connection refused');
    assert.equal(plain.formatError('disk almost full', 'warning'), '⚠ Warning: disk almost full');
    assert.equal(plain.formatError('down', 'CRITICAL'), '✗ Critical: down');
    // From JavaScript, anything may be thrown.
    assert.equal(plain.formatError(42 as unknown as string), '✗ Error: 42');
    assert.equal(colored.formatError('x', 'warning'), `${YELLOW}⚠ Warning: x${END}`);
    assert.equal(colored.formatError('x'), `${RED}✗ Error: x${END}`);
  });

  it('formats notices and prefixes the source when asked', () => {
    assert.equal(plain.formatNotice('reconnecting in 5 s (attempt 2)'), '» reconnecting in 5 s (attempt 2)');
    const labelled = new CpuFormatter({ showSource: true });
    assert.equal(labelled.formatNotice('reconnecting', 'web-1'), '[web-1] » reconnecting');
    assert.equal(labelled.formatError('x', undefined, 'web-1'), '[web-1] ✗ Error: x');
  });

  it('formats alerts one per line, and nothing when there are none', () => {
    assert.equal(plain.formatAlerts([]), '');
    const alerts = [
      { level: 'CRITICAL', component: 'memory', message: 'Critical memory usage: 91.3% (threshold: 90.0%)' },
      { level: 'WARNING', component: 'disk', metric: 'usage_percent', value: 86, threshold: 85 },
    ];
    assert.equal(
      plain.formatAlerts(alerts),
      '⚠ [CRITICAL] memory: Critical memory usage: 91.3% (threshold: 90.0%)\n' +
        '⚠ [WARNING] disk: usage_percent 86 (threshold: 85)',
    );
    assert.equal(
      colored.formatAlerts(alerts.slice(0, 1)),
      `⚠ ${RED}[CRITICAL]${END} memory: Critical memory usage: 91.3% (threshold: 90.0%)`,
    );
  });

  it('never lets control sequences from a server through', () => {
    const outputs = [
      plain.formatConnectionMessage(HOSTILE, HOSTILE),
      plain.formatError(HOSTILE, HOSTILE),
      plain.formatError(new Error(HOSTILE)),
      plain.formatNotice(HOSTILE),
      plain.formatAlerts([{ level: HOSTILE, component: HOSTILE, message: HOSTILE }]),
      plain.formatStatistics({ currentState: HOSTILE, lastError: HOSTILE, [HOSTILE]: HOSTILE }),
      plain.formatStatistics({ errorHistory: [{ timestamp: HOSTILE, error: HOSTILE, type: HOSTILE }] }),
      plain.formatStatistics({ logging: { file: HOSTILE, lastWriteError: new Error(HOSTILE) } }),
    ];
    for (const output of outputs) assertNoHostile(output);
    assert.equal(plain.formatError(HOSTILE), `✗ Error: ${sanitizeForTerminal(HOSTILE)}`);
  });
});

describe('BaseFormatter.formatStatistics', () => {
  const formatter = new CpuFormatter();

  it('prints the statistics of a connected client, then the save-data statistics', () => {
    const text = formatter.formatStatistics({
      messagesReceived: 1250,
      messagesSent: 45,
      bytesReceived: 2048576,
      bytesSent: 8192,
      connectionStart: '2024-01-15T14:30:25.123Z',
      uptimeSeconds: 3600,
      reconnectAttempts: 2,
      totalDisconnections: 1,
      currentState: 'connected',
      lastError: null,
      errorCount: 1,
      errorHistory: [
        { timestamp: '2024-01-15T14:25:10.123Z', error: 'Connection timeout', type: 'CONNECT_TIMEOUT' },
      ],
      invalidMessages: 3,
      lastMessageAt: '2024-01-15T15:30:25.000Z',
      lastPingRttMs: 1.234,
      handlerErrors: 0,
      logging: {
        messagesWritten: 1250,
        bytesWritten: 3 * 1024 * 1024,
        logFile: 'monitoring.log',
        rotations: 0,
        writeErrors: 0,
      },
    });
    assert.equal(
      text,
      [
        '=== Statistics ===',
        'State: connected',
        'Messages received: 1250',
        'Messages sent: 45',
        'Bytes received: 2 MB',
        'Bytes sent: 8 KB',
        'Invalid messages: 3',
        `First connected: ${local('2024-01-15T14:30:25.123Z')}`,
        'Uptime: 1h 0m 0s',
        'Reconnect attempts: 2',
        'Disconnections: 1',
        `Last message: ${local('2024-01-15T15:30:25.000Z')}`,
        'Last ping RTT: 1.2 ms',
        'Errors: 1',
        'Last error: none',
        'Error history:',
        `  - ${local('2024-01-15T14:25:10.123Z')} CONNECT_TIMEOUT: Connection timeout`,
        'Handler errors: 0',
        'Saved data:',
        '  Messages written: 1250',
        '  Bytes written: 3 MB',
        '  File: monitoring.log',
        '  Rotations: 0',
        '  Write errors: 0',
      ].join('\n'),
    );
  });

  it('works when no connection ever succeeded', () => {
    const text = formatter.formatStatistics({
      messagesReceived: 0,
      connectionStart: null,
      uptimeSeconds: 0,
      reconnectAttempts: 3,
      currentState: 'error',
      lastError: 'connect ECONNREFUSED 127.0.0.1:1',
      errorHistory: [],
      lastMessageAt: null,
      lastPingRttMs: null,
      logging: null,
    });
    assert.equal(
      text,
      [
        '=== Statistics ===',
        'State: error',
        'Messages received: 0',
        'First connected: never',
        'Uptime: 0s',
        'Reconnect attempts: 3',
        'Last message: never',
        'Last ping RTT: n/a',
        'Last error: connect ECONNREFUSED 127.0.0.1:1',
        'Error history: none',
      ].join('\n'),
    );
  });

  it('reads snake_case keys and error objects with a code', () => {
    const error = Object.assign(new Error('refused'), { code: 'CONNECTION_REFUSED' });
    const text = formatter.formatStatistics({ messages_received: 7, uptime_seconds: 90, last_error: error });
    assert.equal(
      text,
      '=== Statistics ===\nMessages received: 7\nUptime: 1m 30s\nLast error: refused [CONNECTION_REFUSED]',
    );
  });

  it('accepts an interface without an index signature', () => {
    interface Stats {
      messagesReceived: number;
    }
    const stats: Stats = { messagesReceived: 1 };
    assert.equal(formatter.formatStatistics(stats), '=== Statistics ===\nMessages received: 1');
    assert.equal(
      new CpuFormatter({ color: true }).formatStatistics(stats),
      '\u001b[1m=== Statistics ===\u001b[22m\nMessages received: 1',
    );
  });
});

/** An ISO time as the statistics show it: local date and time to the second. */
function local(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
