/**
 * The one interface of every message handler: the built-in MonitoringHandler (display and
 * history) and LoggingHandler (save-data), and the ones applications add.
 */
import type { ParsedMessage, ReceivedFrame } from '../protocol/frame.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';

/** One received frame as the client hands it to handlers. */
export interface IncomingMessage {
  /** The frame as received: raw text, size, time of receipt. */
  frame: ReceivedFrame;
  /** The parsed message, when the frame is a JSON object. */
  message?: ParsedMessage;
  /** Message type, when the message has a string `type`. */
  type?: string;
  /** The normalized snapshot, for a `monitoring_data` message. */
  snapshot?: MonitoringSnapshot;
}

export interface MessageHandler {
  /** Takes one frame. Must not throw on any input; errors are reported, not thrown. */
  handleMessage(incoming: IncomingMessage): void;
  /** The handler's counters. */
  getStats(): object;
  /** Flushes what the handler holds and releases its resources. Idempotent. */
  close(): Promise<void>;
}
