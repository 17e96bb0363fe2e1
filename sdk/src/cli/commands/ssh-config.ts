/**
 * `sm-ssh ssh-config [--write]`: the `Host *.space.sagemaker` and `Host *.sagemaker` block that lets OpenSSH, scp, rsync and VS Code
 * Remote-SSH reach targets by name; printed, or written into ~/.ssh/config (idempotently).
 */
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import {
  outputFor,
  withCommonOptions,
  type ICommonOptions
} from '../common.js';

interface ISshConfigFlags extends ICommonOptions {
  write?: boolean;
  config?: string;
  user?: string;
  configDir?: string;
}

export function registerSshConfigCommand(program: Command): void {
  withCommonOptions(
    program
      .command('ssh-config')
      .description(
        'print (or --write into ~/.ssh/config) the Host *.space.sagemaker and *.sagemaker block for ssh, scp, rsync and VS Code'
      )
      .option(
        '--write',
        'put the block into the ssh config file (replacing an earlier one)'
      )
      .option('--config <file>', 'the ssh config file (default ~/.ssh/config)')
      .option(
        '--user <user>',
        'login user (default root; spaces always sagemaker-user)'
      )
      .option(
        '--config-dir <dir>',
        'where sm-ssh keeps its key and pinned host keys (default ~/.config/sm-ssh)'
      )
  ).action(async (flags: ISshConfigFlags) => {
    const ssh = await import('../../ssh/index.js');
    const paths = ssh.statePaths(flags.configDir);
    // the IdentityFile must exist before ssh reads the block
    const identity = ssh.ensureIdentity(paths);
    const main = fileURLToPath(new URL('../main.js', import.meta.url));
    const proxyFlags = [
      ...(flags.profile ? ['--profile', flags.profile] : []),
      ...(flags.region ? ['--region', flags.region] : []),
      ...(flags.configDir ? ['--config-dir', paths.dir] : [])
    ];
    const block = ssh.sshConfigBlock({
      paths,
      command: `${ssh.configWord(process.execPath)} ${ssh.configWord(main)}`,
      proxyFlags,
      user: flags.user
    });
    const file = flags.config ?? ssh.defaultSshConfigPath();
    const changed = flags.write ? ssh.writeSshConfig(file, block) : false;
    const output = outputFor(flags);
    output.result({
      block,
      file,
      written: flags.write ?? false,
      changed,
      identity: identity.privateKeyPath
    });
    if (!flags.write) {
      output.line(block);
      return;
    }
    output.line(
      changed
        ? `wrote the Host *.space.sagemaker and *.sagemaker block into ${file}; try: ssh <name>.training.sagemaker or ssh <space>.<domain-id>.space.sagemaker`
        : `${file} already has this block`
    );
  });
}
