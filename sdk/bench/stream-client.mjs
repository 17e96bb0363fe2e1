// One measurement through the SDK's in-process streams, in a process of its own so that its memory is the
// client's alone (the sandbox and its agents run in the benchmark's process). Reads a JSON spec from argv[2],
// prints one JSON result line. The AWS endpoints and fake credentials come from the environment.
import { connect } from 'node:net';
import { createAwsClients } from '../dist/aws/index.js';
import * as ssm from '../dist/ssm/index.js';

const spec = JSON.parse(process.argv[2]);
const clients = await createAwsClients();
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);
const startRss = process.memoryUsage().rss;

/** Sends a bulk request on a stream and resolves with the seconds it took to finish. */
function bulk(stream, op, bytes) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let received = 0;
    stream.on('error', reject);
    if (op === 'D') {
      stream.on('data', chunk => (received += chunk.length));
      stream.once('end', () =>
        received === bytes
          ? resolve((performance.now() - started) / 1000)
          : reject(new Error(`received ${received} of ${bytes} bytes`))
      );
      stream.write(`D ${bytes}\n`);
      return;
    }
    stream.on('data', chunk => {
      if (chunk.toString().includes('ok')) {
        resolve((performance.now() - started) / 1000);
        stream.destroy();
      }
    });
    stream.write(`U ${bytes}\n`);
    const piece = Buffer.alloc(256 * 1024);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const part = left >= piece.length ? piece : piece.subarray(0, left);
        left -= part.length;
        if (!stream.write(part)) {
          stream.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** One-byte round trips on a stream; resolves with their times in ms. */
async function echoTimes(stream, rounds) {
  stream.setNoDelay?.(true);
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await new Promise((resolve, reject) => {
      stream.once('data', resolve);
      stream.once('error', reject);
      stream.write('x');
    });
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

/** Time to the first byte the port says (the SSH banner), through a session or a plain TCP connection. */
async function firstByte(open) {
  const started = performance.now();
  const source = await open();
  await new Promise(resolve => source.once('data', resolve));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, source };
}

const pool = () => new ssm.PortStreamPool(clients, { lingerMs: 0 });
const result = {};
switch (spec.op) {
  case 'down':
  case 'up': {
    const streams = pool();
    const stream = await streams.open(spec.target, spec.port);
    result.seconds = await bulk(stream, spec.op === 'down' ? 'D' : 'U', spec.bytes);
    await streams.close();
    break;
  }
  case 'parallel': {
    // `sessions` sessions with `streams` streams each, every stream downloading `bytes`
    const pools = Array.from({ length: spec.sessions }, pool);
    const streams = await Promise.all(
      pools.flatMap(p => Array.from({ length: spec.streams }, () => p.open(spec.target, spec.port)))
    );
    const started = performance.now();
    await Promise.all(streams.map(stream => bulk(stream, 'D', spec.bytes)));
    result.seconds = (performance.now() - started) / 1000;
    await Promise.all(pools.map(p => p.close()));
    break;
  }
  case 'echo': {
    const streams = pool();
    const stream = await streams.open(spec.target, spec.port);
    result.coldTimes = await echoTimes(stream, spec.rounds);
    await echoTimes(stream, spec.warmup ?? 0);
    result.times = await echoTimes(stream, spec.rounds);
    await streams.close();
    break;
  }
  case 'echo-tcp': {
    const socket = connect(spec.port, '127.0.0.1');
    await new Promise(resolve => socket.once('connect', resolve));
    result.coldTimes = await echoTimes(socket, spec.rounds);
    await echoTimes(socket, spec.warmup ?? 0);
    result.times = await echoTimes(socket, spec.rounds);
    socket.destroy();
    break;
  }
  case 'banner': {
    const { seconds, source } = await firstByte(() =>
      ssm.startPortSession(clients, { target: spec.target, document: ssm.PortDocument.Ssh, parameters: { portNumber: '22' } })
    );
    result.seconds = seconds;
    await source.close();
    break;
  }
  case 'banner-tcp': {
    const { seconds, source } = await firstByte(async () => {
      const socket = connect(spec.port, '127.0.0.1');
      return socket;
    });
    result.seconds = seconds;
    source.destroy();
    break;
  }
  default:
    throw new Error(`unknown op ${spec.op}`);
}
clearInterval(sampler);
result.startRss = startRss;
result.peakRss = Math.max(peakRss, process.memoryUsage().rss);
console.log(JSON.stringify(result));
process.exit(0);
