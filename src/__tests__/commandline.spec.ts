/// <reference types="node" />
/**
 * shellQuote and the command lines (connect, ssh), checked against real shells: each quoted line is run by
 * `sh` (and bash when present) and must give back exactly the words it was built from.
 */
import { execFileSync } from 'child_process';
import { existsSync } from 'fs';
import {
  buildConnectCommand,
  buildSshCommand,
  loginUser,
  shellJoin,
  shellQuote
} from '../commandline';

const SHELLS = ['/bin/sh', '/bin/bash', '/usr/bin/zsh'].filter(shell =>
  existsSync(shell)
);

/** The argv a shell makes of `line` after a printf of each word, NUL-separated. */
function wordsOf(shell: string, line: string): string[] {
  const output = execFileSync(shell, ['-c', `printf '%s\\0' ${line}`], {
    encoding: 'utf8'
  });
  return output.split('\0').slice(0, -1);
}

const NASTY = [
  '',
  ' ',
  'plain',
  'two words',
  "it's",
  "''",
  '"double"',
  '$HOME',
  '${HOME}',
  '$(id)',
  '`id`',
  'a;b',
  'a&&b',
  'a|b',
  'a>b',
  '<in',
  '*',
  '?',
  '[a]',
  '{a,b}',
  '~',
  '~root',
  '#comment',
  '!!',
  '-n',
  '--',
  '=cmd',
  'a=b',
  'back\\slash',
  'tab\there',
  'new\nline',
  'ünïcödé ✓',
  'mix \'of\' "all" $x `y` \\z',
  '%h %n',
  'user@host:path/x.y,z+1'
];

describe('shellQuote', () => {
  it('leaves safe words bare and quotes the rest', () => {
    expect(shellQuote('ssh-training-demo.training.sagemaker')).toBe(
      'ssh-training-demo.training.sagemaker'
    );
    expect(shellQuote('8888:localhost:8888')).toBe('8888:localhost:8888');
    expect(shellQuote('UserKnownHostsFile=/x/known_hosts')).toBe(
      'UserKnownHostsFile=/x/known_hosts'
    );
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('two words')).toBe("'two words'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('=cmd')).toBe("'=cmd'");
    expect(shellQuote('~')).toBe("'~'");
  });

  it('refuses NUL, which no shell word can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it.each(SHELLS)('round-trips nasty words through %s', shell => {
    for (const word of NASTY) {
      expect(wordsOf(shell, shellQuote(word))).toEqual([word]);
    }
    expect(wordsOf(shell, shellJoin(NASTY))).toEqual(NASTY);
  });
});

describe('buildConnectCommand', () => {
  const SM = '/usr/bin/node /opt/sm-ssh/main.js';

  it('is `<sm-ssh> connect <target>` for a one-node target and no settings', () => {
    expect(buildConnectCommand(SM, 'job.training.sagemaker')).toBe(
      `${SM} connect job.training.sagemaker`
    );
    expect(
      buildConnectCommand(SM, 'job.training.sagemaker', { node: 1, user: '' })
    ).toBe(`${SM} connect job.training.sagemaker`);
  });

  it('adds --node above 1, --user, the scope and -L forwards, quoted', () => {
    expect(
      buildConnectCommand(SM, 'job.training.sagemaker', {
        node: 2,
        user: 'sagemaker user',
        region: 'eu-west-1',
        profile: 'dev',
        anyOwner: true,
        forwards: ['8888:localhost:8888', '127.0.0.1:6006:localhost:6006']
      })
    ).toBe(
      `${SM} connect job.training.sagemaker --node 2 --user 'sagemaker user' --region eu-west-1 --profile dev --any-owner -L 8888:localhost:8888 -L 127.0.0.1:6006:localhost:6006`
    );
  });

  it.each(SHELLS)('gives %s the argv it was built from', shell => {
    const line = buildConnectCommand(
      "'/opt/my node'/node x.js",
      "we'ird $name",
      {
        node: 3,
        user: '$(rm -rf ~)',
        forwards: ['1:h:2']
      }
    );
    expect(wordsOf(shell, line)).toEqual([
      '/opt/my node/node',
      'x.js',
      'connect',
      "we'ird $name",
      '--node',
      '3',
      '--user',
      '$(rm -rf ~)',
      '-L',
      '1:h:2'
    ]);
  });
});

describe('buildSshCommand', () => {
  const info = {
    identityFile: '/home/u/.config/sm-ssh/id_ed25519',
    knownHostsFile: '/home/u/.config/sm-ssh/known_hosts',
    smSshShellCommand: '/usr/bin/node /opt/sm-ssh/main.js',
    defaultUsers: { training: 'root', space: 'sagemaker-user' } as const
  };

  it('reaches the target through `sm-ssh proxy %n` with our key and pins', () => {
    expect(
      buildSshCommand(info, 'Job.training.sagemaker', { user: 'root' })
    ).toBe(
      "ssh -i /home/u/.config/sm-ssh/id_ed25519 -o UserKnownHostsFile=/home/u/.config/sm-ssh/known_hosts -o 'ProxyCommand=/usr/bin/node /opt/sm-ssh/main.js proxy %n' root@Job.training.sagemaker"
    );
  });

  it('reaches a space without key or pins, sending HOME and USER, as ssh-config does', () => {
    const line = buildSshCommand(info, 'my-space.d-abc123.space.sagemaker', {
      user: 'sagemaker-user',
      remoteAccess: true
    });
    expect(line).toBe(
      "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o 'SetEnv=HOME=/home/sagemaker-user USER=sagemaker-user' -o 'ProxyCommand=/usr/bin/node /opt/sm-ssh/main.js proxy %n' sagemaker-user@my-space.d-abc123.space.sagemaker"
    );
    for (const shell of SHELLS) {
      expect(wordsOf(shell, line)[8]).toBe(
        'SetEnv=HOME=/home/sagemaker-user USER=sagemaker-user'
      );
    }
  });

  it('passes node and scope to the proxy, and survives odd paths', () => {
    const line = buildSshCommand(
      {
        ...info,
        identityFile: "/home/o'neil/key",
        smSshShellCommand: "'/opt/my tools/node' /x/main.js"
      },
      'job.training.sagemaker',
      { user: 'root', node: 2, region: 'us-west-2', profile: 'p' }
    );
    for (const shell of SHELLS) {
      const words = wordsOf(shell, line);
      expect(words[0]).toBe('ssh');
      expect(words[2]).toBe("/home/o'neil/key");
      expect(words[6]).toBe(
        "ProxyCommand='/opt/my tools/node' /x/main.js proxy --node 2 --region us-west-2 --profile p %n"
      );
      expect(words[7]).toBe('root@job.training.sagemaker');
      // what ssh hands to `sh -c` after %n: the proxy's own argv
      const proxy = words[6].slice('ProxyCommand='.length).replace('%n', 'T');
      expect(wordsOf(shell, proxy)).toEqual([
        '/opt/my tools/node',
        '/x/main.js',
        'proxy',
        '--node',
        '2',
        '--region',
        'us-west-2',
        '--profile',
        'p',
        'T'
      ]);
    }
  });

  it('logs in as the setting, else the kind’s default, else root', () => {
    expect(loginUser(info, 'space')).toBe('sagemaker-user');
    expect(loginUser(info, 'training')).toBe('root');
    expect(loginUser(info, 'notebook')).toBe('root');
    expect(loginUser(info, 'space', 'alice')).toBe('alice');
  });
});
