#!/usr/bin/env node
/** The `sm-ssh` command line: parses flags, calls the SDK, prints. */
import module from 'node:module';

// `sm-ssh … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') {
    process.exit(0);
  }
  throw error;
});

// The AWS SDK warns on every run under Node 20 (which SageMaker Studio ships) that its releases after January 2027
// need Node 22; for CLI users that is noise on every command. SDK users in their own programs still see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Node 22.1+ can keep compiled code between runs; every ssh connection through `sm-ssh proxy` starts a process.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { runCli } = await import('./program.js');
process.exitCode = await runCli(process.argv);
