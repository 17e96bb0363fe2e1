/**
 * `sm-ssh-cdk iam|tier`: the app command the CDK CLI runs (`cdk -a "npx sm-ssh-cdk iam" …`). It builds the app and
 * synthesizes it into the directory the CLI asked for. Loads aws-cdk-lib only after the subcommand is known, so a
 * missing optional peer dependency gets a one-line answer.
 */
import { SmSshError } from '../errors.js';

type AppModule = typeof import('./app.js');

/** What {@link runCdkCli} writes to and loads (replaceable in tests). */
export interface ICdkCliIo {
  /** Writes one line to stderr. */
  stderr(line: string): void;
  /** Writes one line to stdout. */
  stdout(line: string): void;
  /** Loads the app module (and with it aws-cdk-lib). */
  loadApp?: () => Promise<AppModule>;
}

export const CDK_CLI_USAGE =
  'usage: sm-ssh-cdk iam|tier (an app for the CDK CLI: cdk -a "npx sm-ssh-cdk iam" deploy SSH-IAM-SSM-Stack -c sagemaker_role=<ARN> -c user_role=<ARN>, or cdk -a "npx sm-ssh-cdk tier" deploy SSM-Advanced-Tier-Stack)';

const SUBCOMMANDS = ['iam', 'tier'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** True when the error says that aws-cdk-lib or constructs is not installed. */
export function isMissingCdkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    /['"](aws-cdk-lib|constructs)['"/]/.test(message)
  );
}

/**
 * Runs `sm-ssh-cdk <args>`; returns the exit code: 0 synthesized, 2 bad usage, missing context or missing
 * aws-cdk-lib, 1 any other failure.
 */
export async function runCdkCli(
  args: readonly string[],
  io: ICdkCliIo
): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === '-h' || subcommand === '--help') {
    io.stdout(CDK_CLI_USAGE);
    return 0;
  }
  if (!SUBCOMMANDS.includes(subcommand as Subcommand) || rest.length > 0) {
    const what =
      subcommand === undefined
        ? 'missing subcommand'
        : `unknown arguments "${args.join(' ')}"`;
    io.stderr(`sm-ssh-cdk: ${what}; ${CDK_CLI_USAGE}`);
    return 2;
  }
  let appModule: AppModule;
  try {
    appModule = await (io.loadApp ?? (() => import('./app.js')))();
  } catch (error) {
    if (isMissingCdkError(error)) {
      io.stderr(
        'sm-ssh-cdk: aws-cdk-lib is not installed; run: npm install aws-cdk-lib constructs'
      );
      return 2;
    }
    throw error;
  }
  try {
    const { app } =
      subcommand === 'iam' ? appModule.buildIamApp() : appModule.buildTierApp();
    app.synth();
    return 0;
  } catch (error) {
    if (error instanceof SmSshError) {
      io.stderr(`sm-ssh-cdk: ${error.message}`);
      if (error.hint) {
        io.stderr(`  ${error.hint}`);
      }
      return error.exitCode;
    }
    io.stderr(
      `sm-ssh-cdk: ${error instanceof Error ? error.message : String(error)}`
    );
    return 1;
  }
}
