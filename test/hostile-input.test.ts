/**
 * Hostile input, property-based: arbitrary frames through the whole path of a real
 * MonitoringClient (parse, normalize, each format with and without colour, history, save-data).
 * Frames: random bytes, random JSON values, protocol messages with fields replaced by random
 * values (or all of them), messages laid out with whitespace, deeply nested JSON, huge numbers,
 * NaN and Infinity spelled out, very long strings, escape sequences in every string.
 *
 * The bulk of the runs hands frames to the clients' connection as it would (its `frame` event,
 * with the frame parsed by parseFrame), which is fast; a smaller number goes through a real
 * socket, where the connection's own counters are checked too.
 *
 * Checked after each frame: nothing is thrown out of the client (no handler or callback error),
 * no output holds a control character or escape sequence other than the line breaks (and, with
 * colour, the client's own SGR colour codes), a monitoring message prints exactly one record in
 * each format, anything else prints no record, and a valid message sent next is displayed.
 * At the end: the saved data holds one line per frame, each what was received.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type WebSocket, WebSocketServer } from 'ws';
import { MonitoringClient } from '../src/client/monitoring-client.js';
import type { FormatType } from '../src/config.js';
import { LineWriter } from '../src/output/line-writer.js';
import { parseFrame } from '../src/protocol/frame.js';
import { fixture } from './helpers/fixtures.js';
import { until } from './helpers/test-server.js';

const ESC = '\u001b';
/** What a terminal would obey: C0 but the line feed, DEL, C1, bidirectional controls. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** The colour codes the client itself writes. */
const SGR = /\u001b\[[0-9;]*m/g;
const HISTORY = 50;
const ONE_LINE_FORMATS: ReadonlySet<FormatType> = new Set(['simple', 'compact', 'jsonl']);

// ---- frames ---------------------------------------------------------------------------------------

/** A frame as a server sends it: text (a string, or bytes that may not be UTF-8) or binary. */
type Frame = { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Uint8Array; binary: boolean };

/** Pieces of text a hostile server would put in a string. */
const ESCAPES = [
  `${ESC}[2J${ESC}[H`,
  `${ESC}]0;owned${String.fromCharCode(7)}`,
  `${ESC}]8;;https://evil.example${ESC}\\click${ESC}]8;;${ESC}\\`,
  `${ESC}P+q544e${ESC}\\`,
  '\u009b31m',
  '\u009d2;title\u009c',
  '\u0090dcs\u009c',
  `${ESC}[?1049h`,
  `${ESC}[6n`,
  `${ESC}c`,
  ESC,
  '\u0007',
  '\b\b\b',
  '\r',
  '\n',
  '\t',
  '\u0000',
  '\u007f',
  '\u0085',
  '\u202e',
  '\u2066',
  '\u061c',
  '\u200f',
  '\u2028',
  '\ud800',
  '\udfff',
  '😀',
  'e\u0301',
];

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const anyString = fc.oneof(fc.string(), fc.string({ unit: codeUnit }), fc.string({ unit: 'binary' }));
const hostileString = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...ESCAPES), anyString), { maxLength: 8 })
      .map((parts) => parts.join('')),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...ESCAPES), fc.integer({ min: 257, max: 20_000 }))
      .map(([fragment, length]) => `${fragment}${'W'.repeat(length)}${fragment}`),
  },
);

/** JSON number (and non-number) spellings that JSON.stringify cannot produce. */
const RAW_TOKENS = [
  '1e400',
  '-1e400',
  '1e308',
  '-1.7976931348623157e308',
  '123456789012345678901234567890123456789',
  '-0',
  '5e-324',
  '1e-400',
  'NaN',
  '-NaN',
  'Infinity',
  '-Infinity',
  'undefined',
  '0x10',
  '012',
  '1.',
  '.5',
  '"\\ud800"',
  '"\\u001b[31mred\\u001b[0m"',
  '"\\u009b2J"',
];
const RAW = '\u0000raw:';

/** A value to put in place of a field; raw tokens are spliced into the JSON text afterwards. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(...RAW_TOKENS).map((token) => `${RAW}${token}`),
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -1, 100.0000001, 1e21, Number.MAX_SAFE_INTEGER + 2, -1e-7),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(hostileString, { maxLength: 5 }),
);

/** JSON text of `value`, with each `RAW`-marked string replaced by its token as is. */
function stringifyWithRaw(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(/"\\u0000raw:((?:[^"\\]|\\.)*)"/g, (_, token: string) =>
    JSON.parse(`"${token}"`),
  );
}

const BASES = [
  fixture('real-server', 'monitoring_data'),
  fixture('real-server', 'monitoring_data_gpu'),
  fixture('real-server', 'monitoring_data_alerts'),
  fixture('documented', 'monitoring_data'),
  fixture('real-server', 'connection'),
  fixture('documented', 'connection_message'),
  fixture('real-server', 'error'),
  fixture('documented', 'error_message'),
  fixture('real-server', 'status'),
  fixture('real-server', 'pong'),
];

type Path = (string | number)[];

/** Every path below the root (sections and fields alike), `type` left out. */
function paths(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const out: Path[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (prefix.length === 0 && key === 'type') continue;
    const path = [...prefix, Array.isArray(value) ? Number(key) : key];
    out.push(path, ...paths(child, path));
  }
  return out;
}

function setPath(root: Record<string, unknown>, path: Path, value: unknown): void {
  let node: Record<string | number, unknown> = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object') return; // An earlier replacement removed it.
    node = next as Record<string | number, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** A protocol message with some of its fields, or every leaf, replaced by hostile values. */
const mutatedMessage = fc
  .record({
    base: fc.constantFrom(...BASES),
    values: fc.array(fc.tuple(fc.nat(), hostileValue), { minLength: 1, maxLength: 12 }),
    everyLeaf: fc.boolean(),
  })
  .map(({ base, values, everyLeaf }) => {
    const message = structuredClone(base);
    const all = paths(message);
    if (everyLeaf) {
      const leaves = all.filter(
        (path) => !all.some((other) => other.length > path.length && path.every((k, i) => other[i] === k)),
      );
      for (const [i, path] of leaves.entries()) setPath(message, path, values[i % values.length]![1]);
    } else {
      for (const [index, value] of values) setPath(message, all[index % all.length]!, value);
    }
    return stringifyWithRaw(message);
  });

/** JSON nested `depth` deep: alone, or as a field of a monitoring message. */
const deeplyNested = fc
  .record({ depth: fc.integer({ min: 1, max: 50_000 }), shape: fc.constantFrom('array', 'object', 'field') })
  .map(({ depth, shape }) => {
    const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    if (shape === 'array') return arrays;
    const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    if (shape === 'object') return objects;
    const message = structuredClone(BASES[0]!) as { data: { system: Record<string, unknown> } };
    message.data.system.hostname = `${RAW}${arrays}`;
    return stringifyWithRaw(message);
  });

/**
 * A protocol message laid out with JSON whitespace (spaces, tabs, line breaks) between its
 * tokens, as a pretty-printing server would send it, on one line or several.
 */
const spacedMessage = fc
  .record({
    base: fc.constantFrom(...BASES),
    indent: fc.constantFrom('\t', ' ', '  ', '\t\t', ' \t'),
    lineBreak: fc.constantFrom('', '\n', '\r\n', ' '),
  })
  .map(({ base, indent, lineBreak }) => JSON.stringify(base, null, indent).replace(/\n/g, lineBreak));

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc
    .uint8Array({ maxLength: 300 })
    .chain((bytes) => fc.boolean().map((binary): Frame => ({ kind: 'bytes', bytes, binary }))),
  fc.jsonValue().map((value): Frame => ({ kind: 'text', text: JSON.stringify(value) ?? 'null' })),
  { weight: 4, arbitrary: mutatedMessage.map((text): Frame => ({ kind: 'text', text })) },
  deeplyNested.map((text): Frame => ({ kind: 'text', text })),
  spacedMessage.map((text): Frame => ({ kind: 'text', text })),
  fc.constantFrom(...RAW_TOKENS).map((text): Frame => ({ kind: 'text', text })),
  hostileString.map((text): Frame => ({ kind: 'text', text })),
);

/** The frame's payload as the socket delivers it. */
function payload(frame: Frame): { data: Buffer; binary: boolean } {
  return frame.kind === 'text'
    ? { data: Buffer.from(frame.text), binary: false }
    : { data: Buffer.from(frame.bytes), binary: frame.binary };
}

/**
 * The text as JSON, if it is: as is, else with the literals NaN, Infinity and -Infinity (which
 * Python's json module writes) read as null wherever they are outside a string.
 */
function asJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    try {
      return {
        value: JSON.parse(
          text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (m) => (m.startsWith('"') ? m : 'null')),
        ),
      };
    } catch {
      return undefined;
    }
  }
}

/** What the client should make of a frame: a JSON object (and of which type) or not. */
function expectation(frame: Frame): { valid: boolean; monitoring: boolean } {
  const { data, binary } = payload(frame);
  const json = binary ? undefined : asJson(data.toString('utf8'));
  const value = json?.value;
  const valid = value !== null && typeof value === 'object' && !Array.isArray(value);
  return { valid, monitoring: valid && (value as { type?: unknown }).type === 'monitoring_data' };
}

// ---- clients ---------------------------------------------------------------------------------------

/** A stream that keeps what it is given, synchronously. */
class Capture {
  text = '';
  write(chunk: unknown): boolean {
    this.text += String(chunk);
    return true;
  }
  on(): this {
    return this;
  }
}

interface Watched {
  name: string;
  format: FormatType;
  color: boolean;
  client: MonitoringClient;
  output: Capture;
  notices: Capture;
  handlerErrors: unknown[];
  /** The invalid frames the connection reported, in short. */
  invalidFrames: string[];
  /** Errors of the record path (formatting, printing) already counted. */
  recordErrorsSeen: number;
}

function watch(
  format: FormatType,
  color: boolean,
  options: { uri?: string; saveData?: string } = {},
): Watched {
  const output = new Capture();
  const notices = new Capture();
  const client = new MonitoringClient({
    uri: options.uri ?? 'ws://127.0.0.1:9',
    formatType: format,
    color,
    output: output as unknown as Writable,
    notices: notices as unknown as Writable,
    storeHistory: true,
    maxHistorySize: HISTORY,
    pingInterval: 0,
    reconnect: false,
    // One file, never rotated, so that it can be compared with the frames line by line.
    ...(options.saveData ? { saveData: options.saveData, saveDataMaxSize: 2 ** 40 } : {}),
  });
  const handlerErrors: unknown[] = [];
  client.wsClient.on('handler_error', (failure) => {
    handlerErrors.push(failure.error);
  });
  const invalidFrames: string[] = [];
  client.wsClient.on('invalid_frame', (frame) => {
    invalidFrames.push(`${frame.invalidReason}: ${frame.raw.slice(0, 80)}`);
  });
  return {
    name: `${format}${color ? ' (colour)' : ''}`,
    format,
    color,
    client,
    output,
    notices,
    handlerErrors,
    invalidFrames,
    recordErrorsSeen: 0,
  };
}

/** A client per format, and per colour for the formats that have colour; the first one saves. */
function allFormats(options: { uri?: string; saveData?: string } = {}): Watched[] {
  const variants: [FormatType, boolean][] = [
    ['simple', false],
    ['detailed', false],
    ['compact', false],
    ['json', false],
    ['jsonl', false],
    ['simple', true],
    ['detailed', true],
    ['compact', true],
  ];
  return variants.map(([format, color], index) =>
    watch(format, color, {
      ...(options.uri ? { uri: options.uri } : {}),
      ...(index === 0 && options.saveData ? { saveData: options.saveData } : {}),
    }),
  );
}

/** The text `stream` received since the last call, after the lines pending in its LineWriter. */
function fresh(watched: Watched, which: 'output' | 'notices'): string {
  const capture = watched[which];
  LineWriter.for(capture as unknown as Writable).flush();
  // Taken, not kept: what was checked is dropped, so that a long run stays linear.
  const text = capture.text;
  capture.text = '';
  return text;
}

function assertTerminalSafe(watched: Watched, which: string, text: string, frame: string): void {
  const visible = watched.color ? text.replace(SGR, '') : text;
  const match = UNSAFE.exec(visible);
  if (match) {
    assert.fail(
      `${watched.name} ${which}: U+${match[0].charCodeAt(0).toString(16).padStart(4, '0')} in ${JSON.stringify(
        visible.slice(Math.max(0, match.index - 40), match.index + 40),
      )}, from frame ${frame.slice(0, 300)}`,
    );
  }
}

/**
 * Asserts that nothing was thrown inside the client since the last call: not out of its frame
 * handler (the connection isolates and counts those), nor out of the record path (formatting
 * and printing, where the handler isolates and counts them).
 */
function assertNothingThrown(watched: Watched, frame: string): void {
  const thrown = watched.handlerErrors.splice(0);
  assert.deepEqual(
    thrown,
    [],
    `${watched.name}: thrown inside the client, from frame ${frame.slice(0, 300)}`,
  );
  const recordErrors = watched.client.monitoringHandler.getStats().callbackErrors;
  const newErrors = recordErrors - watched.recordErrorsSeen;
  watched.recordErrorsSeen = recordErrors;
  assert.equal(
    newErrors,
    0,
    `${watched.name}: the record could not be formatted, from frame ${frame.slice(0, 300)}`,
  );
}

/** Checks what each client printed for `frame`, and that nothing was thrown inside any. */
function checkAfter(clients: Watched[], frame: Frame, label: string): void {
  const { monitoring } = expectation(frame);
  // Everything is read before the first assertion, so that a failure leaves no text behind.
  const printed = clients.map((watched) => ({
    watched,
    output: fresh(watched, 'output'),
    notices: fresh(watched, 'notices'),
  }));
  for (const { watched, output, notices } of printed) {
    assertTerminalSafe(watched, 'output', output, label);
    assertTerminalSafe(watched, 'notices', notices, label);
    assertNothingThrown(watched, label);
    if (!monitoring) {
      assert.equal(output, '', `${watched.name}: a record for a frame that is not monitoring data`);
    } else if (ONE_LINE_FORMATS.has(watched.format)) {
      assert.match(
        output,
        /^[^\n]+\n$/,
        `${watched.name}: one line per message, from frame ${label.slice(0, 300)}`,
      );
    } else {
      assert.ok(output.endsWith('\n') && output.length > 1, `${watched.name}: one record`);
    }
  }
}

/** A valid message that each client must display next; `n` is in the host name. */
function sentinel(n: number): string {
  const message = structuredClone(BASES[0]!) as { data: { system: Record<string, unknown> } };
  message.data.system.hostname = `sentinel-${n}`;
  return JSON.stringify(message);
}

function checkSentinel(clients: Watched[], n: number): void {
  const printed = clients.map((watched) => ({
    watched,
    output: fresh(watched, 'output'),
    notices: fresh(watched, 'notices'),
  }));
  for (const { watched, output } of printed) {
    assert.equal(
      watched.client.getLastSnapshot()?.system?.hostname,
      `sentinel-${n}`,
      `${watched.name}: the stream went on`,
    );
    if (watched.name === 'simple') assert.equal(output, 'CPU: 0.0% | RAM: 1.2% | Disk: 21.5%\n');
    else assert.ok(output.length > 1, `${watched.name}: the valid message was displayed`);
    assertNothingThrown(watched, 'the valid message after it');
  }
}

/** Each saved line, checked against the frame it records. */
function checkSaved(path: string, frames: { data: Buffer; binary: boolean }[]): void {
  const lines = readFileSync(path, 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'the file ends with a line break');
  assert.equal(lines.length, frames.length, 'one saved line per frame');
  for (const [i, line] of lines.entries()) {
    const { data, binary } = frames[i]!;
    let record: {
      received_at: string;
      invalid?: string;
      message?: unknown;
      raw?: string;
      raw_base64?: string;
    };
    try {
      record = JSON.parse(line);
    } catch {
      assert.fail(`saved line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
    }
    assert.match(record.received_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const text = data.toString('utf8');
    if (binary) {
      assert.equal(record.invalid, 'binary');
      assert.equal(record.raw_base64, data.toString('base64'));
    } else if (record.raw !== undefined) {
      // Not JSON (or JSON only once NaN and Infinity are read as null): the text as received.
      assert.equal(record.raw, text, `line ${i + 1}`);
      assert.ok(record.invalid !== undefined || record.message !== undefined, `line ${i + 1}`);
    } else {
      // The message (valid, or JSON that is not an object) verbatim, on one line.
      assert.ok(
        line.endsWith(`"message":${text.replace(/[\r\n]/g, ' ')}}`),
        `line ${i + 1}: ${line.slice(0, 200)}`,
      );
    }
  }
}

/** fc.assert, with the failed assertion's message in the report. */
function assertProperty<T extends fc.IProperty<unknown> | fc.IAsyncProperty<unknown>>(
  property: T,
  parameters: fc.Parameters<unknown>,
): T extends fc.IAsyncProperty<unknown> ? Promise<void> : void {
  return fc.assert(property as never, { ...parameters, includeErrorInReport: true }) as never;
}

// ---- tests -------------------------------------------------------------------------------------------

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'monitoring-hostile-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('hostile input through the whole path', () => {
  it('frames handed to the client as its connection would: 1,000 runs', { timeout: 60_000 }, async () => {
    const path = join(tmp, 'emitted.jsonl');
    const clients = allFormats({ saveData: path });
    const saver = clients[0]!.client;
    const fed: { data: Buffer; binary: boolean }[] = [];
    let monitoringFed = 0;
    let n = 0;
    const feed = (data: Buffer, binary: boolean) => {
      fed.push({ data, binary });
      const frame = parseFrame(data, binary, Date.now());
      for (const watched of clients)
        watched.client.fleet.pipeline.receive(watched.client.fleet.targetNames()[0]!, frame);
    };
    assertProperty(
      fc.property(frameArb, (frame) => {
        const { data, binary } = payload(frame);
        feed(data, binary);
        if (expectation(frame).monitoring) monitoringFed++;
        checkAfter(clients, frame, data.toString('utf8'));
        n++;
        feed(Buffer.from(sentinel(n)), false);
        monitoringFed++;
        checkSentinel(clients, n);
      }),
      { numRuns: 1000, endOnFailure: true },
    );
    for (const watched of clients) {
      const history = watched.client.getHistory();
      assert.equal(history.length, Math.min(HISTORY, monitoringFed), `${watched.name}: bounded history`);
      assert.equal(history.at(-1)?.snapshot.system?.hostname, `sentinel-${n}`);
      assert.equal(watched.client.monitoringHandler.getStats().messagesHandled, monitoringFed);
    }
    await Promise.all(clients.map((watched) => watched.client.stop()));
    const logging = saver.getStatistics().logging!;
    assert.equal(logging.messageCount, fed.length);
    assert.equal(logging.messagesWritten, fed.length);
    checkSaved(path, fed);
  });

  it('frames through a real socket: counters add up, 100 runs of up to 6 frames', {
    timeout: 60_000,
  }, async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await once(wss, 'listening');
    const uri = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const path = join(tmp, 'socket.jsonl');
    const clients = allFormats({ uri, saveData: path });
    const sockets: WebSocket[] = [];
    wss.on('connection', (ws) => sockets.push(ws));
    try {
      await Promise.all(clients.map((watched) => watched.client.start()));
      await until(() => sockets.length === clients.length, 3000, 'every client connected');
      const sent: { data: Buffer; binary: boolean }[] = [];
      let n = 0;
      const send = (data: Buffer, binary: boolean) => {
        sent.push({ data, binary });
        for (const ws of sockets) ws.send(data, { binary });
      };
      await assertProperty(
        fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 6 }), async (frames) => {
          const before = clients.map((watched) => watched.client.getStatistics());
          for (const watched of clients) watched.invalidFrames.length = 0;
          const already = sent.length;
          let valid = 0;
          let invalid = 0;
          for (const frame of frames) {
            const { data, binary } = payload(frame);
            // Random bytes go as binary frames: as text, bytes that are not UTF-8 are a protocol
            // violation that closes the connection (1007), a fault rather than input.
            const asBinary = binary || !Buffer.from(data.toString('utf8')).equals(data);
            send(data, asBinary);
            if (!asBinary && expectation(frame).valid) valid++;
            else invalid++;
          }
          n++;
          send(Buffer.from(sentinel(n)), false);
          valid++;
          const label = frames.map((f) => payload(f).data.toString()).join(' | ');
          await until(
            () => clients.every((watched) => watched.client.getStatistics().messagesReceived >= sent.length),
            5000,
            'every frame received',
          );
          for (const [index, watched] of clients.entries()) {
            const stats = watched.client.getStatistics();
            const received = stats.messagesReceived - before[index]!.messagesReceived;
            const invalidReceived = stats.invalidMessages - before[index]!.invalidMessages;
            assert.equal(received, sent.length - already, `${watched.name}: frames received`);
            assert.equal(
              invalidReceived,
              invalid,
              `${watched.name}: invalid frames ${JSON.stringify(watched.invalidFrames)}, of ${label.slice(0, 300)}`,
            );
            assert.equal(received, valid + invalidReceived, `${watched.name}: received = valid + invalid`);
            assert.equal(stats.currentState, 'connected', `${watched.name}: still connected`);
            assertTerminalSafe(watched, 'output', fresh(watched, 'output'), label);
            assertTerminalSafe(watched, 'notices', fresh(watched, 'notices'), label);
            assertNothingThrown(watched, label);
            assert.equal(
              watched.client.getLastSnapshot()?.system?.hostname,
              `sentinel-${n}`,
              `${watched.name}: the stream went on`,
            );
          }
        }),
        { numRuns: 100, endOnFailure: true },
      );
      await Promise.all(clients.map((watched) => watched.client.stop()));
      checkSaved(path, sent);
    } finally {
      await Promise.all(clients.map((watched) => watched.client.stop()));
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});

describe('hostile input: cases found by the properties, kept as examples', () => {
  it('a monitoring message with a deeply nested field prints one record in every format', async () => {
    const clients = allFormats();
    for (const depth of [100, 10_000, 100_000]) {
      const message = structuredClone(BASES[0]!) as { data: { system: Record<string, unknown> } };
      message.data.system.hostname = `${RAW}${'['.repeat(depth)}${']'.repeat(depth)}`;
      const text = stringifyWithRaw(message);
      const frame = parseFrame(Buffer.from(text), false, Date.now());
      for (const watched of clients)
        watched.client.fleet.pipeline.receive(watched.client.fleet.targetNames()[0]!, frame);
      checkAfter(clients, { kind: 'text', text }, `hostname nested ${depth} deep`);
    }
    await Promise.all(clients.map((watched) => watched.client.stop()));
  });

  it('a monitoring message laid out with tabs prints no tab, in every format', async () => {
    const clients = allFormats();
    const text = JSON.stringify(BASES[0], null, '\t').replace(/\n/g, '');
    const frame = parseFrame(Buffer.from(text), false, Date.now());
    for (const watched of clients)
      watched.client.fleet.pipeline.receive(watched.client.fleet.targetNames()[0]!, frame);
    checkAfter(clients, { kind: 'text', text }, 'a message indented with tabs, on one line');
    await Promise.all(clients.map((watched) => watched.client.stop()));
  });

  it("saves a frame that is not an object, spelled with Python's NaN or Infinity, as a line of valid JSON", async () => {
    const path = join(tmp, 'not-objects.jsonl');
    const [saver] = allFormats({ saveData: path });
    const frames = ['Infinity', '-Infinity', 'NaN', '[NaN, 1]', '{"type":"monitoring_data","data":NaN}'].map(
      (text) => ({
        data: Buffer.from(text),
        binary: false,
      }),
    );
    for (const { data } of frames)
      saver!.client.fleet.pipeline.receive(
        saver!.client.fleet.targetNames()[0]!,
        parseFrame(data, false, Date.now()),
      );
    await saver!.client.stop();
    checkSaved(path, frames);
  });
});
