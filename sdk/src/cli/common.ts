import { Command, Option } from 'commander';
import { createAwsClients, type AwsClients } from '../aws/index.js';
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

export function clientsFor(options: ICommonOptions): Promise<AwsClients> {
  return createAwsClients({ profile: options.profile, region: options.region });
}
