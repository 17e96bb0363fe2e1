#!/usr/bin/env node
/** The `sm-ssh-cdk` bin: `cdk -a "npx sm-ssh-cdk iam" deploy SSH-IAM-SSM-Stack …` (see ./cli.ts). */
import { runCdkCli } from './cli.js';

process.exitCode = await runCdkCli(process.argv.slice(2), {
  stderr: line => process.stderr.write(`${line}\n`),
  stdout: line => process.stdout.write(`${line}\n`)
});
