/**
 * The remote-access server is reachable only once it has said its SSH identification (`SSH-2.0-Go`): AWS's client
 * waits for it before handing the stream to an SSH client, and so do we. The bytes read while waiting are put back
 * into the stream, so the SSH client sees the whole stream from its first byte.
 */
import type { Duplex } from 'node:stream';
import { OperationError } from '../errors.js';

/** RFC 4253 §4.2: lines before the identification are allowed; 255 bytes each, so a few KiB is plenty. */
const MAX_PREFACE_BYTES = 16 * 1024;

export const DEFAULT_BANNER_TIMEOUT_MS = 30_000;

/** The identification line (`SSH-2.0-Go`) if `data` holds a complete one, else undefined. */
export function findBanner(data: Buffer): string | undefined {
  let start = 0;
  for (;;) {
    const end = data.indexOf(0x0a, start);
    if (end < 0) {
      return undefined;
    }
    const line = data
      .subarray(start, end)
      .toString('latin1')
      .replace(/\r$/, '');
    if (line.startsWith('SSH-')) {
      return line;
    }
    start = end + 1;
  }
}

/**
 * Reads `stream` until the server's identification line arrives, then pauses it and puts every byte read back
 * (a consumer that resumes it — ssh2 does — reads them first). Rejects, naming `what`, on timeout, on the end of
 * the stream, or when too much comes without one.
 */
export function waitForBanner(
  stream: Duplex,
  what: string,
  timeoutMs = DEFAULT_BANNER_TIMEOUT_MS
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: Error, banner?: string) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
      stream.pause();
      if (chunks.length > 0) {
        stream.unshift(Buffer.concat(chunks));
      }
      if (error) {
        reject(error);
      } else {
        resolve(banner as string);
      }
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const banner = findBanner(Buffer.concat(chunks));
      if (banner) {
        finish(undefined, banner);
      } else if (size > MAX_PREFACE_BYTES) {
        finish(
          new OperationError(
            `${what} sent ${size} bytes without an SSH identification line`,
            'the remote-access server of the space is not answering as SSH; restart the space from Studio'
          )
        );
      }
    };
    const onEnd = () =>
      finish(
        new OperationError(
          `${what} closed the stream before its SSH server said hello`,
          'the space may be restarting or its remote-access server failed: connect again, or restart the space from Studio'
        )
      );
    const onError = (error: Error) =>
      finish(
        new OperationError(
          `the stream to ${what} failed before its SSH server said hello: ${error.message}`,
          'connect again; rerun with --verbose to see how far it got'
        )
      );
    const timer = setTimeout(
      () =>
        finish(
          new OperationError(
            `the SSH server of ${what} did not say hello within ${Math.round(timeoutMs / 1000)} s`,
            'the space may still be starting: connect again in a minute, or restart the space from Studio'
          )
        ),
      timeoutMs
    );
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onError);
  });
}
