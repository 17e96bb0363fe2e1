/**
 * @jest-environment-options {"customExportConditions": ["node", "node-addons"]}
 */
/// <reference types="node" />
/**
 * The event stream: against a real `sm-ssh serve` over a real WebSocket (Node's `ws`, with the prefix header
 * jupyter-server-proxy adds; the export conditions above make `ws` resolve to its Node build in jsdom), and the reconnect backoff (1 s doubling to 30 s, reset after an open) with a
 * stand-in socket and fake timers.
 */
import { ServerConnection } from '@jupyterlab/services';
import WebSocket from 'ws';
import { BridgeEvents, eventsUrl, retryDelay } from '../events';
import type { BridgeEvent } from '../tokens';
import {
  bridgeBuilt,
  startBridge,
  type IRunningBridge
} from './support/bridge';
import { FakeSocket } from './support/fake-socket';

jest.setTimeout(60_000);

describe('eventsUrl', () => {
  it('is <wsUrl>sm-ssh/api/events with the scope, and ?token= only when asked', () => {
    const base = { baseUrl: 'http://h/base/', wsUrl: 'ws://h/base/' };
    expect(
      eventsUrl(
        ServerConnection.makeSettings({
          ...base,
          token: 'secret',
          appendToken: false
        })
      )
    ).toBe('ws://h/base/sm-ssh/api/events');
    expect(
      eventsUrl(
        ServerConnection.makeSettings({
          ...base,
          token: 'secret',
          appendToken: true
        }),
        {
          region: 'eu-west-1',
          profile: undefined
        }
      )
    ).toBe('ws://h/base/sm-ssh/api/events?region=eu-west-1&token=secret');
    expect(
      eventsUrl(
        ServerConnection.makeSettings({ ...base, token: '', appendToken: true })
      )
    ).toBe('ws://h/base/sm-ssh/api/events');
  });
});

describe('retryDelay', () => {
  it('doubles from 1 s and stays at 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(retryDelay)).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000
    ]);
  });
});

const describeBridge = bridgeBuilt() ? describe : describe.skip;

describeBridge('BridgeEvents with a real sm-ssh serve', () => {
  let bridge: IRunningBridge;

  beforeAll(async () => {
    bridge = await startBridge();
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  /** `ws` as jupyter-server-proxy connects on: with the prefix header, and no Origin (not a browser). */
  class ProxiedSocket extends WebSocket {
    constructor(url: string) {
      super(url, { headers: { 'X-Forwarded-Prefix': '/sm-ssh' } });
    }
  }

  function settings(Socket: new (url: string) => WebSocket = ProxiedSocket) {
    return ServerConnection.makeSettings({
      baseUrl: `${bridge.origin}/`,
      wsUrl: `ws://127.0.0.1:${bridge.port}/`,
      WebSocket: Socket as unknown as typeof globalThis.WebSocket,
      token: '',
      appendToken: false
    });
  }

  it('connects, says hello, then the snapshot (here: the listing error, with its code)', async () => {
    const events = new BridgeEvents(settings(), () => ({
      region: 'us-east-1'
    }));
    const received: BridgeEvent[] = [];
    const connected: boolean[] = [];
    events.connectionChanged.connect((_, value) => connected.push(value));
    const second = new Promise<void>(resolve =>
      events.message.connect((_, event) => {
        received.push(event);
        if (received.length === 2) {
          resolve();
        }
      })
    );
    events.connect();
    await second;
    expect(events.isConnected).toBe(true);
    expect(connected).toEqual([true]);
    expect(received[0]).toMatchObject({
      type: 'hello',
      version: expect.any(String)
    });
    expect(received[1]).toMatchObject({
      type: 'error',
      code: 'no-credentials'
    });
    events.dispose();
    expect(events.isConnected).toBe(false);
    expect(events.isDisposed).toBe(true);
  });

  it('a socket from another site (Origin) is refused; the client keeps retrying, never connected', async () => {
    class CrossSite extends WebSocket {
      constructor(url: string) {
        super(url, {
          headers: {
            'X-Forwarded-Prefix': '/sm-ssh',
            Origin: 'http://evil.example'
          }
        });
      }
    }
    const events = new BridgeEvents(settings(CrossSite));
    const connected: boolean[] = [];
    events.connectionChanged.connect((_, value) => connected.push(value));
    const errors: unknown[] = [];
    const failed = new Promise<void>(resolve => {
      const socket = new CrossSite(eventsUrl(settings(CrossSite)));
      socket.on('error', error => {
        errors.push(error);
        resolve();
      });
      socket.on('unexpected-response', (_, response) => {
        errors.push(response.statusCode);
        socket.terminate();
        resolve();
      });
    });
    events.connect();
    await failed;
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(errors[0]).toBe(403);
    expect(connected).toEqual([]);
    events.dispose();
  });
});

describe('BridgeEvents reconnects with backoff', () => {
  afterEach(() => {
    jest.useRealTimers();
    FakeSocket.all = [];
  });

  function events() {
    return new BridgeEvents(
      ServerConnection.makeSettings({
        baseUrl: 'http://h/',
        wsUrl: 'ws://h/',
        WebSocket: FakeSocket as unknown as typeof globalThis.WebSocket,
        appendToken: false
      })
    );
  }

  it('waits 1, 2, 4 … 30 s between failed attempts, and 1 s again after a connection', () => {
    jest.useFakeTimers();
    const stream = events();
    stream.connect();
    const times: number[] = [];
    const start = Date.now();
    for (let i = 0; i < 7; i++) {
      const count = FakeSocket.all.length;
      FakeSocket.all[count - 1].onclose?.();
      // advance until the next socket appears
      let waited = 0;
      while (FakeSocket.all.length === count) {
        jest.advanceTimersByTime(500);
        waited += 500;
      }
      times.push(waited);
    }
    expect(times).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(Date.now() - start).toBe(91000);
    const last = FakeSocket.all[FakeSocket.all.length - 1];
    last.onopen?.();
    expect(stream.isConnected).toBe(true);
    last.onclose?.();
    expect(stream.isConnected).toBe(false);
    const count = FakeSocket.all.length;
    jest.advanceTimersByTime(999);
    expect(FakeSocket.all).toHaveLength(count);
    jest.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(count + 1);
    stream.dispose();
    expect(FakeSocket.all[count].closed).toBe(true);
    jest.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(count + 1);
  });

  it('emits JSON events, ignores other frames, and reconnect() opens a new socket now', () => {
    const stream = events();
    const received: BridgeEvent[] = [];
    stream.message.connect((_, event) => received.push(event));
    stream.connect();
    const socket = FakeSocket.all[0];
    socket.onopen?.();
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    socket.onmessage?.({ data: 'not json' });
    socket.onmessage?.({ data: JSON.stringify({ no: 'type' }) });
    socket.onmessage?.({ data: new ArrayBuffer(2) });
    socket.onmessage?.({
      data: JSON.stringify({ type: 'hello', version: '1' })
    });
    warn.mockRestore();
    expect(received).toEqual([{ type: 'hello', version: '1' }]);
    stream.connect();
    expect(FakeSocket.all).toHaveLength(1);
    stream.reconnect();
    expect(socket.closed).toBe(true);
    expect(FakeSocket.all).toHaveLength(2);
    stream.dispose();
  });
});
