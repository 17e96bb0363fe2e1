import { Command, Option } from 'commander';
import type { AwsClients } from '../aws/clients.js';
import { createOutput, type IOutput } from './output.js';

/** The options every command takes. */
export interface ICommonOptions {
  profile?: string;
  region?: string;
  json?: boolean;
  debug?: boolean;
}

/** Adds --profile, --region, --json and --debug to a command. */
export function withCommonOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--profile <name>',
        'AWS profile from ~/.aws/config (default: AWS_PROFILE or the default chain)'
      )
    )
    .addOption(
      new Option(
        '--region <region>',
        "AWS region (default: AWS_REGION or the profile's region)"
      )
    )
    .addOption(new Option('--json', 'print the result as JSON'))
    .addOption(new Option('--debug', 'show stack traces of errors'));
}

export function outputFor(options: ICommonOptions): IOutput {
  return createOutput(options.json ?? false);
}

/** AWS clients for the command's options; the AWS SDK is loaded only by commands that call AWS. */
export async function clientsFor(options: ICommonOptions): Promise<AwsClients> {
  const { createAwsClients } = await import('../aws/clients.js');
  return createAwsClients({ profile: options.profile, region: options.region });
}
