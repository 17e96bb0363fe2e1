/** `sm-ssh forget <target>`: drop a target's pinned host keys (after its container was rebuilt on purpose). */
import type { Command } from 'commander';
import { parseTarget } from '../../names/index.js';
import {
  outputFor,
  withCommonOptions,
  type ICommonOptions
} from '../common.js';

export function registerForgetCommand(program: Command): void {
  withCommonOptions(
    program
      .command('forget')
      .description(
        "forget a target's pinned host keys, so the next connect pins them again"
      )
      .argument('<target>', 'the name or mi-… id you connected to')
      .option(
        '--config-dir <dir>',
        'where sm-ssh keeps its state (default ~/.config/sm-ssh)'
      )
  ).action(
    async (target: string, flags: ICommonOptions & { configDir?: string }) => {
      parseTarget(target);
      const { Deliveries, KnownHosts, statePaths } =
        await import('../../ssh/index.js');
      const paths = statePaths(flags.configDir);
      const known = KnownHosts.load(paths.knownHosts);
      const instances = known.instancesOf(target);
      const removed = known.forget(target);
      known.save();
      const deliveries = Deliveries.load(paths.deliveries);
      instances.forEach(instanceId => deliveries.forget(instanceId));
      const output = outputFor(flags);
      output.result({ target, removed, instances });
      output.line(
        removed === 0
          ? `nothing was pinned for ${target}`
          : `forgot ${removed} host key line${removed === 1 ? '' : 's'} of ${target}${instances.length > 0 ? ` (${instances.join(', ')})` : ''}; the next connect pins its keys again`
      );
    }
  );
}
