/**
 * A Node `Duplex` over one basic port session (AWS-StartSSHSession): what ssh2 takes as its `sock`. Backpressure
 * runs both ways: a reader that stops reading holds delivery (and so the acks the agent's window waits for), and
 * a write completes only once the data channel's send window has taken it.
 */
import { Duplex } from 'node:stream';
import type { DataChannelSession } from './session.js';

export function sessionDuplex(session: DataChannelSession): Duplex {
  let held = false;
  const duplex = new Duplex({
    allowHalfOpen: false,
    read() {
      if (held) {
        held = false;
        session.resumeDelivery();
      }
    },
    write(chunk: Buffer, _encoding, callback) {
      session.write(chunk).then(
        () => callback(),
        (error: Error) => callback(error)
      );
    },
    final(callback) {
      void session
        .flush()
        .then(() => session.close('the local side closed'))
        .then(() => callback());
    },
    destroy(error, callback) {
      void session.close('the local side closed');
      callback(error);
    }
  });
  session.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk) && !held) {
      held = true;
      session.pauseDelivery();
    }
  });
  session.once('close', () => duplex.push(null));
  return duplex;
}
