/**
 * Event dispatch typed by the one event map of events.ts. Unlike node:events, a handler that
 * throws or rejects never reaches the emitter's caller: it is logged, counted and reported
 * as a `handler_error` event, and the other handlers still run.
 */
import type { Logger } from '../logger.js';
import type { EventHandler, WildcardHandler } from './events.js';

type AnyHandler = (...args: never[]) => unknown;
type Dispatch = (data: unknown) => unknown;
type WildcardDispatch = (eventType: string, data: unknown) => unknown;

const NO_HANDLERS: readonly Dispatch[] = Object.freeze([]);
const NO_WILDCARDS: readonly WildcardDispatch[] = Object.freeze([]);

/** The event through which handler failures are reported. */
export const HANDLER_ERROR_EVENT = 'handler_error';

export class TypedEmitter {
  readonly #logger: Logger;
  /**
   * Lists are replaced, never mutated (copy on write), so emit() iterates them without a copy
   * and a handler that adds or removes handlers does not disturb the dispatch in progress.
   * They are built with concat(), which sizes them exactly: a spread or a push reserves room
   * for 17 handlers, about 130 bytes per list. The map is created with its first handler: a
   * fleet's clients have a '*' handler only, and an empty Map costs about 130 bytes too.
   */
  #handlers: Map<string, readonly Dispatch[]> | undefined;
  #wildcards = NO_WILDCARDS;
  #handlerErrors = 0;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Handlers that threw or rejected so far. */
  get handlerErrors(): number {
    return this.#handlerErrors;
  }

  /**
   * Adds a handler. Adding the same function twice for the same event has no effect.
   * `'*'` handlers receive `(eventType, data)` for every event, after the event's own handlers.
   */
  on(event: '*', handler: WildcardHandler): this;
  on<E extends string>(event: E, handler: EventHandler<E>): this;
  on(event: string, handler: AnyHandler): this {
    if (typeof handler !== 'function') throw new TypeError(`handler of "${event}" must be a function`);
    if (event === '*') {
      const wildcard = handler as WildcardDispatch;
      if (!this.#wildcards.includes(wildcard)) this.#wildcards = this.#wildcards.concat(wildcard);
      return this;
    }
    this.#handlers ??= new Map();
    const handlers = this.#handlers;
    const list = handlers.get(event) ?? NO_HANDLERS;
    const dispatch = handler as Dispatch;
    if (!list.includes(dispatch)) handlers.set(event, list.concat(dispatch));
    return this;
  }

  /** Removes a handler added with on(); unknown handlers are ignored. */
  off(event: '*', handler: WildcardHandler): this;
  off<E extends string>(event: E, handler: EventHandler<E>): this;
  off(event: string, handler: AnyHandler): this {
    if (event === '*') {
      this.#wildcards = this.#wildcards.filter((h) => h !== handler);
      return this;
    }
    const handlers = this.#handlers;
    const list = handlers?.get(event);
    if (handlers === undefined || list === undefined) return this;
    const rest = list.filter((h) => h !== handler);
    if (rest.length === 0) handlers.delete(event);
    else handlers.set(event, rest);
    return this;
  }

  /** True when emitting `event` would call at least one handler (its own or a `'*'` one). */
  hasHandlers(event: string): boolean {
    return this.#wildcards.length > 0 || this.#handlers?.has(event) === true;
  }

  /** Calls the handlers of `event`, then the `'*'` handlers. Never throws. */
  emit(event: string, data: unknown): void {
    const list = this.#handlers?.get(event);
    const wildcards = this.#wildcards;
    if (list === undefined && wildcards.length === 0) return;
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        try {
          const result = (list[i] as Dispatch)(data);
          if (result !== undefined) this.#watch(event, result);
        } catch (error) {
          this.#failed(event, error);
        }
      }
    }
    for (let i = 0; i < wildcards.length; i++) {
      try {
        const result = (wildcards[i] as WildcardDispatch)(event, data);
        if (result !== undefined) this.#watch(event, result);
      } catch (error) {
        this.#failed(event, error);
      }
    }
  }

  /** Removes every handler. */
  clear(): void {
    this.#handlers = undefined;
    this.#wildcards = NO_WILDCARDS;
  }

  /** Isolates an async handler: its rejection is reported like a throw. */
  #watch(event: string, result: unknown): void {
    if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') return;
    (result as PromiseLike<unknown>).then(undefined, (error: unknown) => this.#failed(event, error));
  }

  #failed(event: string, error: unknown): void {
    this.#handlerErrors++;
    this.#logger.error(`a handler of "${event}" failed`, error);
    // A failing handler_error handler is only logged: reporting it again would loop forever.
    if (event !== HANDLER_ERROR_EVENT) this.emit(HANDLER_ERROR_EVENT, { event, error });
  }
}
