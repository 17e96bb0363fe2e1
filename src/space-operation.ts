/**
 * Following an enable-remote-access operation to its end: its steps come as `space-operation` events into the model;
 * while no event stream is connected (and now and then even when one is, in case an event was missed during a
 * reconnection) the bridge is asked for its state.
 */
import type { SmSshModel } from './model';
import type { IBridgeClient, ISpaceOperation } from './tokens';

/** How often the operation is read while no event stream is connected. */
export const OPERATION_POLL_MS = 2000;
/** Every how many polls it is read while one is. */
const POLL_EVEN_IF_CONNECTED = 8;

/** Resolves with the operation once ended (`done` or `failed`); `onChange` sees every state before that. */
export function followSpaceOperation(
  model: SmSshModel,
  client: Pick<IBridgeClient, 'spaceOperation'>,
  started: ISpaceOperation,
  onChange: (operation: ISpaceOperation) => void = () => undefined,
  pollMs = OPERATION_POLL_MS
): Promise<ISpaceOperation> {
  const target = started.target;
  return new Promise(resolve => {
    let last: ISpaceOperation = started;
    let ticks = 0;
    let timer: ReturnType<typeof setInterval> | null = null;
    const check = () => {
      const now = model.spaceOperation(target);
      if (!now || now.startedAt !== started.startedAt || now === last) {
        return;
      }
      last = now;
      if (now.state === 'running') {
        onChange(now);
        return;
      }
      model.changed.disconnect(check);
      if (timer !== null) {
        clearInterval(timer);
      }
      resolve(now);
    };
    model.changed.connect(check);
    timer = setInterval(() => {
      ticks += 1;
      if (model.eventsConnected && ticks % POLL_EVEN_IF_CONNECTED !== 0) {
        return;
      }
      client.spaceOperation(target).then(
        operation => model.setSpaceOperation(operation),
        () => undefined
      );
    }, pollMs);
    check();
  });
}
