/**
 * What flows down the pipeline: one accepted `monitoring_data` message of one target, as
 * received and as understood. Every sink gets the same object; none may change it.
 */
import type { ParsedMessage, ReceivedFrame } from '../protocol/frame.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';

export interface MonitoringRecord {
  /** Name of the target it came from (a one-server client names its target after the URI or `source`). */
  readonly target: string;
  /** The normalized snapshot. */
  readonly snapshot: MonitoringSnapshot;
  /** The message as received (parsed). */
  readonly message: ParsedMessage;
  /** The frame as received: raw text, size, time of receipt. */
  readonly frame: ReceivedFrame;
}
