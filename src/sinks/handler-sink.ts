/**
 * A MessageHandler (the documented `addHandler` interface: every frame, then `close()`) seen
 * as a sink, so that handlers written for earlier versions plug into the pipeline unchanged.
 */
import type { IncomingMessage, MessageHandler } from '../handlers/handler.js';
import type { Sink } from '../pipeline/sink.js';

export class HandlerSink implements Sink {
  readonly name: string;
  readonly handler: MessageHandler;

  constructor(handler: MessageHandler) {
    this.handler = handler;
    this.name =
      handler.constructor?.name && handler.constructor.name !== 'Object'
        ? handler.constructor.name
        : 'handler';
  }

  frame(_target: string, incoming: IncomingMessage): void {
    this.handler.handleMessage(incoming);
  }

  stats(): Record<string, unknown> {
    return { ...this.handler.getStats() };
  }

  close(): Promise<void> {
    return this.handler.close();
  }
}
