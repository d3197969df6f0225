/**
 * States of a connection. Every change goes through one place in the WebSocketClient and
 * emits `state_change`.
 *
 *   DISCONNECTED ──start()──▶ CONNECTING ──open──▶ CONNECTED
 *        ▲                     │    ▲                 │ close / dead link
 *        │ stop()              │    │ retry timer     ▼
 *        │                     └──▶ RECONNECTING ◀────┘
 *        │                           │ attempts exhausted, or reconnect off
 *        └───────── stop() ──────── ERROR (final until start() again)
 */
export const ClientState = {
  DISCONNECTED: 'disconnected',
  CONNECTING: 'connecting',
  CONNECTED: 'connected',
  RECONNECTING: 'reconnecting',
  ERROR: 'error',
} as const;

export type ClientState = (typeof ClientState)[keyof typeof ClientState];
