// Runs OpenSSH to the benchmark's sshd, directly or through a ProxyCommand, and times it.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CHUNK = Buffer.alloc(1024 * 1024);

/** ssh options that keep a run independent of the user's config and known hosts. */
export function sshBaseArgs(identityFile) {
  return [
    '-F', '/dev/null', '-i', identityFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'
  ];
}

/**
 * Runs `ssh <args> <command>`, feeding `stdinBytes` zero bytes; resolves with the wall time and bytes received.
 * `args` holds everything before the command (destination included).
 */
export function runSsh(args, command, { env, stdinBytes = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('ssh', [...args, command], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    let received = 0;
    child.stdout.on('data', chunk => (received += chunk.length));
    child.once('error', reject);
    child.once('close', code =>
      code === 0
        ? resolve({ seconds: (performance.now() - started) / 1000, received })
        : reject(new Error(`ssh exited with ${code}`))
    );
    let left = stdinBytes;
    const pump = () => {
      while (left > 0) {
        const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
        left -= piece.length;
        if (!child.stdin.write(piece)) {
          child.stdin.once('drain', pump);
          return;
        }
      }
      child.stdin.end();
    };
    pump();
  });
}

/** Sum of the resident memory of the processes whose command line contains `needle`, in bytes. */
export function rssOfProcesses(needle) {
  let total = 0;
  for (const pid of readdirSync('/proc').filter(name => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) {
        const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        total += match ? Number(match[1]) * 1024 : 0;
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}
