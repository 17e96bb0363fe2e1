/**
 * MuxStreams back to back (a client and a server joined by an in-memory transport): streams carry bytes, ending a
 * stream ends both directions (smux v1), and keep-alive NOPs flow for peers that need them and time out a silent one.
 */
import { MuxStreams, type IMuxKeepAlive } from './mux-streams.js';
import { encodeSmuxHeader, SmuxCommand } from './smux.js';

function pair(keepAlive?: IMuxKeepAlive): {
  client: MuxStreams;
  server: MuxStreams;
  toServer: Buffer[];
} {
  const toServer: Buffer[] = [];
  const peer: { server?: MuxStreams } = {};
  const client = new MuxStreams(
    {
      send: async bytes => {
        toServer.push(Buffer.from(bytes));
        peer.server?.receive(Buffer.from(bytes));
      },
      pauseInput: () => undefined,
      resumeInput: () => undefined
    },
    'client',
    keepAlive
  );
  const server = new MuxStreams(
    {
      send: async bytes => client.receive(Buffer.from(bytes)),
      pauseInput: () => undefined,
      resumeInput: () => undefined
    },
    'server'
  );
  peer.server = server;
  return { client, server, toServer };
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('MuxStreams', () => {
  it('carries a stream both ways and ends both directions when one side ends', async () => {
    const { client, server } = pair();
    server.on('stream', stream =>
      stream.on('data', (chunk: Buffer) => stream.write(chunk))
    );
    const stream = client.open();
    const echoed = new Promise<string>(resolve =>
      stream.once('data', (chunk: Buffer) => resolve(chunk.toString()))
    );
    stream.write('hello');
    expect(await echoed).toBe('hello');
    const closed = new Promise(resolve => stream.once('close', resolve));
    stream.end();
    await closed;
    expect(client.size).toBe(0);
    client.close();
    server.close();
  });

  it('sends keep-alive NOPs when asked, and none otherwise', async () => {
    const nop = encodeSmuxHeader(SmuxCommand.NOP, 0);
    const quiet = pair();
    const chatty = pair({ intervalMs: 20, timeoutMs: 10_000 });
    await sleep(110);
    const nopsOf = (frames: Buffer[]) =>
      frames.filter(frame => frame.equals(nop)).length;
    expect(nopsOf(quiet.toServer)).toBe(0);
    expect(nopsOf(chatty.toServer)).toBeGreaterThanOrEqual(3);
    [quiet, chatty].forEach(
      ({ client, server }) => (client.close(), server.close())
    );
  });

  it('closes with an error when the peer stays silent past the keep-alive timeout', async () => {
    const { client, server } = pair({ intervalMs: 10, timeoutMs: 50 });
    const failed = new Promise<Error>(resolve => client.once('error', resolve));
    const stream = client.open();
    const streamError = new Promise<Error>(resolve =>
      stream.once('error', resolve)
    );
    expect((await failed).message).toMatch(
      /sent nothing for 0.05 s \(smux keep-alive\)/
    );
    expect((await streamError).message).toMatch(/keep-alive/);
    server.close();
  });
});
