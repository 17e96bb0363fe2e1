/**
 * `sm-ssh cp <src> <dst>`: one file over SFTP, `target:path` on one side. A large file is split in ranges over
 * `--parallel` SSH connections, each on its own Session Manager session (the agent paces each session).
 */
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import {
  clientsFor,
  outputFor,
  withCommonOptions,
  type ICommonOptions
} from '../common.js';
import { whereOf } from './connect.js';
import {
  prepareOptions,
  withTargetOptions,
  type ITargetFlags
} from '../target-options.js';

interface ICopyFlags extends ICommonOptions, ITargetFlags {
  user?: string;
  parallel?: string;
}

/**
 * Sessions for a file of this size when --parallel is not given: one per 8 MiB, up to 8 (the agent paces each
 * session, and a download of 64 MiB gains about 7× from 8 sessions in the benchmark).
 */
export function defaultParallel(bytes: number): number {
  return Math.max(1, Math.min(8, Math.floor(bytes / (8 * 1024 * 1024))));
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A progress line on a terminal, redrawn at most 10 times a second. */
function progressBar(
  stream: NodeJS.WriteStream
): (copied: number, total: number) => void {
  let last = 0;
  const started = Date.now();
  return (copied, total) => {
    const now = Date.now();
    if (now - last < 100 && copied < total) {
      return;
    }
    last = now;
    const share = total === 0 ? 1 : copied / total;
    const width = 30;
    const filled = Math.round(share * width);
    const rate = copied / 1024 / 1024 / Math.max(0.001, (now - started) / 1000);
    stream.write(
      `\r\x1b[K[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.floor(share * 100)}% ${mib(copied)} / ${mib(total)} ${rate.toFixed(1)} MiB/s`
    );
    if (copied >= total) {
      stream.write('\n');
    }
  };
}

export function registerCopyCommand(program: Command): void {
  withTargetOptions(
    withCommonOptions(
      program
        .command('cp')
        .description(
          'copy a file to or from a target over SFTP (target:path on one side)'
        )
        .argument('<source>', 'a local path or target:path')
        .argument('<destination>', 'a local path or target:path')
        .option(
          '--user <user>',
          'login user (default root; sagemaker-user on spaces)'
        )
        .option(
          '--parallel <n>',
          'SSH sessions to split the file over (default: one per 8 MiB, up to 8)'
        )
    )
  ).action(
    async (sourceText: string, destinationText: string, flags: ICopyFlags) => {
      const ssh = await import('../../ssh/index.js');
      const source = ssh.parseCopyEndpoint(sourceText);
      const destination = ssh.parseCopyEndpoint(destinationText);
      const direction = ssh.copyDirection(source, destination);
      const remote = source.side === 'remote' ? source : destination;
      const local = source.side === 'local' ? source : destination;
      if (remote.side !== 'remote' || local.side !== 'local') {
        throw new UsageError('one side of cp must be target:path');
      }
      let parallel: number | undefined;
      if (flags.parallel !== undefined) {
        parallel = Number(flags.parallel);
        if (!/^\d+$/.test(flags.parallel) || parallel < 1 || parallel > 16) {
          throw new UsageError(
            `--parallel "${flags.parallel}" is not from 1 to 16`,
            'e.g. --parallel 4'
          );
        }
      }
      let size: number | undefined;
      if (direction === 'upload') {
        const { statSync } = await import('node:fs');
        try {
          size = statSync(local.path).size;
        } catch {
          throw new UsageError(
            `${local.path} does not exist`,
            'check the local path'
          );
        }
      }
      const options = prepareOptions(flags, 'sm-ssh cp');
      const clients = await clientsFor(flags);
      let first;
      try {
        first = await ssh.openSsh(clients, remote.target, {
          ...options,
          user: flags.user
        });
      } finally {
        options.stop();
      }
      const connections = [first];
      try {
        const sftp = await ssh.sftpOf(first.client);
        if (size === undefined) {
          size = await new Promise<number>(resolve =>
            sftp.stat(remote.path, (error, stats) =>
              resolve(error ? 0 : stats.size)
            )
          );
        }
        const count = parallel ?? defaultParallel(size);
        const more = await ssh.openMoreSsh(clients, first, count - 1, options);
        connections.push(...more);
        const sftps = [
          sftp,
          ...(await Promise.all(more.map(c => ssh.sftpOf(c.client))))
        ];
        const output = outputFor(flags);
        const showProgress =
          !output.json && process.stderr.isTTY && size >= 1024 * 1024;
        const result = await ssh.copyFile({
          sftps,
          direction,
          localPath: local.path,
          remotePath: remote.path,
          onProgress: showProgress ? progressBar(process.stderr) : undefined
        });
        const seconds = result.ms / 1000;
        output.result({
          source: sourceText,
          destination: destinationText,
          target: first.resolved.name,
          ...whereOf(first),
          direction,
          localPath: result.localPath,
          remotePath: result.remotePath,
          bytes: result.bytes,
          sessions: result.ranges,
          seconds,
          mbPerSecond: Number(
            (result.bytes / 1e6 / Math.max(seconds, 0.001)).toFixed(2)
          )
        });
        output.line(
          `${direction === 'upload' ? 'uploaded' : 'downloaded'} ${mib(result.bytes)} ${direction === 'upload' ? 'to' : 'from'} ${first.resolved.name}:${result.remotePath} in ${seconds.toFixed(1)} s over ${result.ranges} session${result.ranges === 1 ? '' : 's'}`
        );
      } finally {
        await Promise.all(connections.map(c => c.close()));
      }
    }
  );
}
