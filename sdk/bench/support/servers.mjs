// The servers "on the instance" that the benchmark talks to: a bulk server and an echo server on loopback.
// Bulk protocol: the client sends one line, `D <bytes>` (the server sends that many zero bytes and closes) or
// `U <bytes>` (the server reads that many bytes, then answers `ok\n`).
import { createServer } from 'node:net';

const ZEROS = Buffer.alloc(256 * 1024);

function sendZeros(socket, bytes) {
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const piece = left >= ZEROS.length ? ZEROS : ZEROS.subarray(0, left);
      left -= piece.length;
      if (!socket.write(piece)) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  };
  pump();
}

function serveBulk(socket) {
  socket.on('error', () => undefined);
  let head = Buffer.alloc(0);
  const onData = chunk => {
    head = Buffer.concat([head, chunk]);
    const newline = head.indexOf(10);
    if (newline < 0) {
      return;
    }
    socket.off('data', onData);
    const [op, size] = head.subarray(0, newline).toString().split(' ');
    const bytes = Number(size);
    const rest = head.subarray(newline + 1);
    if (op === 'D') {
      sendZeros(socket, bytes);
      return;
    }
    let received = rest.length;
    const done = () => received >= bytes && socket.end('ok\n');
    socket.on('data', more => {
      received += more.length;
      done();
    });
    done();
  };
  socket.on('data', onData);
}

async function listen(server) {
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

/** Starts the bulk and echo servers; returns their ports and a stop function. */
export async function startBenchServers() {
  const sockets = new Set();
  const track = socket => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const bulk = createServer(socket => {
    track(socket);
    serveBulk(socket);
  });
  const echo = createServer(socket => {
    track(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  return {
    bulkPort: await listen(bulk),
    echoPort: await listen(echo),
    stop: async () => {
      sockets.forEach(socket => socket.destroy());
      await new Promise(resolve => bulk.close(resolve));
      await new Promise(resolve => echo.close(resolve));
    }
  };
}
