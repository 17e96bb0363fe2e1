/** Notifications of tunnel events the user did not ask for in this tab: a tunnel that failed or was closed. */
import { Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import type { BridgeEvent, IBridgeTunnel, IEventSource } from './tokens';

export function watchTunnels(
  events: IEventSource,
  trans: TranslationBundle
): IDisposable {
  const known = new Map<string, IBridgeTunnel>();
  const route = (tunnel: IBridgeTunnel) =>
    `localhost:${tunnel.localPort} → ${tunnel.target}:${tunnel.remotePort}`;
  const onMessage = (_: IEventSource, event: BridgeEvent) => {
    if (event.type === 'tunnel') {
      const before = known.get(event.tunnel.id);
      known.set(event.tunnel.id, event.tunnel);
      if (event.tunnel.state === 'failed' && before?.state !== 'failed') {
        Notification.error(
          trans.__(
            'Tunnel %1 failed: %2',
            route(event.tunnel),
            event.tunnel.error ?? trans.__('the SSH connection ended')
          ),
          { autoClose: false }
        );
      }
    } else if (event.type === 'tunnel-closed') {
      const before = known.get(event.id);
      known.delete(event.id);
      if (before && event.error) {
        Notification.warning(
          trans.__('Tunnel %1 closed: %2', route(before), event.error),
          { autoClose: 10000 }
        );
      }
    }
  };
  events.message.connect(onMessage);
  let disposed = false;
  return {
    get isDisposed() {
      return disposed;
    },
    dispose() {
      if (!disposed) {
        disposed = true;
        events.message.disconnect(onMessage);
      }
    }
  };
}
