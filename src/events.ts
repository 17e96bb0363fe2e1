/**
 * The bridge's event stream: a WebSocket to `<wsUrl>sm-ssh/api/events` whose JSON text frames become the
 * `message` signal. It reconnects after a drop with a backoff of 1 s doubling up to 30 s (reset once a
 * connection opens), and stops when disposed.
 */
import { URLExt } from '@jupyterlab/coreutils';
import type { ServerConnection } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { BRIDGE_PREFIX } from './request';
import type { BridgeEvent, IEventSource } from './tokens';

export const FIRST_RETRY_MS = 1000;
export const MAX_RETRY_MS = 30000;

/** The delay before reconnect attempt `attempt` (0-based). */
export function retryDelay(attempt: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt));
}

/** The WebSocket URL of the event stream, with `?token=` only when the server settings ask for it. */
export function eventsUrl(
  settings: ServerConnection.ISettings,
  query: Record<string, string | undefined> = {}
): string {
  const url = URLExt.join(settings.wsUrl, BRIDGE_PREFIX, 'api', 'events');
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) {
      params.set(key, value);
    }
  }
  if (settings.appendToken && settings.token) {
    params.set('token', settings.token);
  }
  const text = params.toString();
  return text ? `${url}?${text}` : url;
}

function isEvent(value: unknown): value is BridgeEvent {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}

export class BridgeEvents implements IEventSource, IDisposable {
  /**
   * @param query - read at every (re)connection: the scope (region/profile) of the stream
   */
  constructor(
    private readonly settings: ServerConnection.ISettings,
    private readonly query: () => Record<
      string,
      string | undefined
    > = () => ({})
  ) {}

  get message(): ISignal<this, BridgeEvent> {
    return this._message;
  }

  /** True once a socket opens, false when it closes. */
  get connectionChanged(): ISignal<this, boolean> {
    return this._connectionChanged;
  }

  get isConnected(): boolean {
    return this._connected;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Opens the stream (again after `reconnect()`); a no-op while one is open or pending. */
  connect(): void {
    if (this._disposed || this._socket) {
      return;
    }
    this.clearTimer();
    const Socket = this.settings.WebSocket;
    let socket: WebSocket;
    try {
      socket = new Socket(eventsUrl(this.settings, this.query()));
    } catch (reason) {
      console.warn('sm-ssh: the event stream could not open', reason);
      this.schedule();
      return;
    }
    this._socket = socket;
    socket.onopen = () => {
      this._attempt = 0;
      this.setConnected(true);
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') {
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(event.data);
      } catch {
        console.warn('sm-ssh: an event that is not JSON was ignored');
        return;
      }
      if (isEvent(value)) {
        this._message.emit(value);
      }
    };
    socket.onclose = () => {
      if (this._socket !== socket) {
        return;
      }
      this._socket = null;
      this.setConnected(false);
      this.schedule();
    };
    // an error is followed by close, which schedules the retry
    socket.onerror = () => undefined;
  }

  /** Closes the current socket and opens a new one now (e.g. after the scope changed). */
  reconnect(): void {
    this.drop();
    this._attempt = 0;
    this.connect();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.drop();
    Signal.clearData(this);
  }

  private drop(): void {
    this.clearTimer();
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      socket.onerror = null;
      socket.close();
    }
    this.setConnected(false);
  }

  private schedule(): void {
    if (this._disposed) {
      return;
    }
    this.clearTimer();
    const delay = retryDelay(this._attempt++);
    this._timer = setTimeout(() => {
      this._timer = null;
      this.connect();
    }, delay);
  }

  private clearTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private setConnected(connected: boolean): void {
    if (this._connected !== connected) {
      this._connected = connected;
      this._connectionChanged.emit(connected);
    }
  }

  private _socket: WebSocket | null = null;
  private _connected = false;
  private _disposed = false;
  private _attempt = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private readonly _message = new Signal<this, BridgeEvent>(this);
  private readonly _connectionChanged = new Signal<this, boolean>(this);
}
