/**
 * `cp` over SFTP. A file can be split in byte ranges copied over several SSH connections at once, each on its own
 * Session Manager session: the agent paces every session, so one session cannot fill a fast link.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, posix } from 'node:path';
import type { Client, OpenMode, SFTPWrapper } from 'ssh2';
import { OperationError, UsageError } from '../errors.js';
import { parseTarget } from '../names/index.js';

export type CopyEndpoint =
  | { side: 'local'; path: string }
  | { side: 'remote'; target: string; path: string };

/** `target:path` is remote when `target` is a target name (…sagemaker, mi-…, an ARN); anything else is local. */
export function parseCopyEndpoint(text: string): CopyEndpoint {
  const arn = /^(arn:[^:]+:sagemaker:[^:]*:\d{12}:[^:]+):(.*)$/.exec(text);
  const name = /^([^/:]+):(.*)$/.exec(text);
  const match = arn ?? name;
  if (match && (arn || /\.sagemaker$|^mi-/i.test(match[1]))) {
    parseTarget(match[1]);
    return { side: 'remote', target: match[1], path: match[2] || '.' };
  }
  return { side: 'local', path: text };
}

/** Exactly one side of a copy is remote. */
export function copyDirection(
  source: CopyEndpoint,
  destination: CopyEndpoint
): 'upload' | 'download' {
  if (source.side === destination.side) {
    throw new UsageError(
      source.side === 'local'
        ? 'neither side of the copy is a target'
        : 'both sides of the copy are targets',
      'write one side as target:path, e.g. sm-ssh cp model.tar.gz my-job.training.sagemaker:/opt/ml/'
    );
  }
  return source.side === 'local' ? 'upload' : 'download';
}

export function sftpOf(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) =>
    client.sftp((error, sftp) =>
      error
        ? reject(
            new OperationError(
              `the server refused SFTP: ${error.message}`,
              'the container sshd needs "Subsystem sftp" in its config'
            )
          )
        : resolve(sftp)
    )
  );
}

function call<T>(
  what: string,
  start: (callback: (error: Error | undefined | null, value: T) => void) => void
): Promise<T> {
  return new Promise((resolve, reject) =>
    start((error, value) =>
      error
        ? reject(new OperationError(`${what}: ${error.message}`))
        : resolve(value)
    )
  );
}

const CHUNK = 32 * 1024;
/** SFTP requests in flight per connection: enough to keep a paced session busy. */
const DEPTH = 32;

interface IRange {
  start: number;
  end: number;
}

/** Splits `size` bytes in `parts` ranges (each a multiple of CHUNK but the last). */
export function splitRanges(size: number, parts: number): IRange[] {
  const count = Math.max(1, Math.min(parts, Math.ceil(size / CHUNK)));
  const each = Math.ceil(size / count / CHUNK) * CHUNK;
  const ranges: IRange[] = [];
  for (let start = 0; start < size || ranges.length === 0; start += each) {
    ranges.push({ start, end: Math.min(size, start + each) });
  }
  return ranges;
}

type ChunkCopy = (position: number, length: number) => Promise<void>;

/** Copies a range with up to DEPTH chunks in flight. */
async function copyRange(
  range: IRange,
  copyChunk: ChunkCopy,
  onBytes: (bytes: number) => void
): Promise<void> {
  let next = range.start;
  const worker = async (): Promise<void> => {
    while (next < range.end) {
      const position = next;
      const length = Math.min(CHUNK, range.end - position);
      next += length;
      await copyChunk(position, length);
      onBytes(length);
    }
  };
  await Promise.all(Array.from({ length: DEPTH }, worker));
}

function downloadChunk(
  sftp: SFTPWrapper,
  remote: Buffer,
  local: FileHandle
): ChunkCopy {
  return async (position, length) => {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const read = await call<number>('reading the remote file', callback =>
        sftp.read(
          remote,
          buffer,
          done,
          length - done,
          position + done,
          (error, bytes) => callback(error, bytes)
        )
      );
      if (read === 0) {
        throw new OperationError(
          'the remote file became shorter while it was copied'
        );
      }
      done += read;
    }
    await local.write(buffer, 0, length, position);
  };
}

function uploadChunk(
  sftp: SFTPWrapper,
  remote: Buffer,
  local: FileHandle
): ChunkCopy {
  return async (position, length) => {
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await local.read(buffer, 0, length, position);
    if (bytesRead !== length) {
      throw new OperationError(
        'the local file became shorter while it was copied'
      );
    }
    await call<void>('writing the remote file', callback =>
      sftp.write(remote, buffer, 0, length, position, error =>
        callback(error, undefined)
      )
    );
  };
}

export interface ICopyOptions {
  /** One SFTP session per connection; the file is split over all of them. */
  sftps: SFTPWrapper[];
  direction: 'upload' | 'download';
  localPath: string;
  remotePath: string;
  /** Bytes copied so far and the total. */
  onProgress?: (copied: number, total: number) => void;
}

export interface ICopyResult {
  bytes: number;
  localPath: string;
  remotePath: string;
  ranges: number;
  ms: number;
}

async function remoteStat(sftp: SFTPWrapper, path: string) {
  return new Promise<
    { size: number; isDirectory: boolean; mode: number } | undefined
  >(resolve =>
    sftp.stat(path, (error, stats) =>
      resolve(
        error
          ? undefined
          : {
              size: stats.size,
              isDirectory: stats.isDirectory(),
              mode: stats.mode
            }
      )
    )
  );
}

async function localStat(path: string) {
  return stat(path).then(
    stats => ({
      size: stats.size,
      isDirectory: stats.isDirectory(),
      mode: stats.mode
    }),
    () => undefined
  );
}

/** Copies one file; a destination that is a directory (or ends in /) gets the source's base name. */
export async function copyFile(options: ICopyOptions): Promise<ICopyResult> {
  const [first] = options.sftps;
  const started = Date.now();
  const upload = options.direction === 'upload';
  const source = upload
    ? await localStat(options.localPath)
    : await remoteStat(first, options.remotePath);
  const sourcePath = upload ? options.localPath : options.remotePath;
  if (!source || source.isDirectory) {
    throw new UsageError(
      `${sourcePath} ${source ? 'is a directory' : 'does not exist'}`,
      'cp copies one file; for a folder, use rsync or scp -r after sm-ssh ssh-config --write'
    );
  }
  let localPath = options.localPath;
  let remotePath = options.remotePath;
  if (upload) {
    const target = await remoteStat(first, remotePath);
    if (target?.isDirectory || remotePath.endsWith('/')) {
      remotePath = posix.join(remotePath, basename(localPath));
    }
  } else {
    const target = await localStat(localPath);
    if (target?.isDirectory || localPath.endsWith('/')) {
      localPath = `${localPath.replace(/\/$/, '')}/${posix.basename(remotePath)}`;
    }
  }
  const ranges = splitRanges(source.size, options.sftps.length);
  const local = await open(
    localPath,
    upload ? 'r' : 'w',
    upload ? undefined : source.mode & 0o777
  );
  try {
    if (!upload) {
      await local.truncate(source.size);
    }
    const openRemote = (sftp: SFTPWrapper, flags: OpenMode) =>
      call<Buffer>(`opening ${remotePath}`, callback =>
        sftp.open(remotePath, flags, { mode: source.mode & 0o777 }, callback)
      );
    // the first handle creates (or truncates) the remote file; the others open it for writing at offsets
    const handles: Buffer[] = [await openRemote(first, upload ? 'w' : 'r')];
    for (const sftp of options.sftps.slice(1, ranges.length)) {
      handles.push(await openRemote(sftp, upload ? 'r+' : 'r'));
    }
    let copied = 0;
    const onBytes = (bytes: number) => {
      copied += bytes;
      options.onProgress?.(copied, source.size);
    };
    await Promise.all(
      ranges.map((range, index) => {
        const sftp = options.sftps[index];
        const chunk = upload
          ? uploadChunk(sftp, handles[index], local)
          : downloadChunk(sftp, handles[index], local);
        return copyRange(range, chunk, onBytes);
      })
    );
    await Promise.all(
      handles.map((handle, index) =>
        call<void>(`closing ${remotePath}`, callback =>
          options.sftps[index].close(handle, error =>
            callback(error, undefined)
          )
        )
      )
    );
    return {
      bytes: source.size,
      localPath,
      remotePath,
      ranges: ranges.length,
      ms: Date.now() - started
    };
  } finally {
    await local.close();
  }
}
