/** The pure parts of ssh/: pins and aliases, key files, the delivery script run by a real sh, specs and configs. */
import { execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { deliveryScript, hostKeysFromOutput, keyFileName } from './delivery.js';
import { defaultForwards, parseForward } from './forwards.js';
import { parseCopyEndpoint, splitRanges, copyDirection } from './copy.js';
import { ensureIdentity, generateEd25519Pair, loadIdentity } from './keys.js';
import { ssh2 } from './ssh2.js';
import { KnownHosts, parseHostKey } from './known-hosts.js';
import { statePaths } from './paths.js';
import { BEGIN_MARK, sshConfigBlock, withBlock } from './ssh-config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sm-ssh-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function hostKey(): { type: string; key: string } {
  const file = join(dir, `k${Math.random().toString(16).slice(2)}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  const parsed = parseHostKey(readFileSync(`${file}.pub`, 'utf8'));
  if (!parsed) {
    throw new Error('ssh-keygen gave no key');
  }
  return parsed;
}

describe('KnownHosts', () => {
  it('pins per instance, aliases a name in lower case, checks blobs and forgets by name', () => {
    const path = join(dir, 'known_hosts');
    writeFileSync(
      path,
      '# mine\nexample.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n'
    );
    const a = hostKey();
    const b = hostKey();
    const known = KnownHosts.load(path);
    known.pin('mi-0123456789abcdef0', 'My-Job.training.sagemaker', [a]);
    known.pin('mi-0123456789abcdef1', 'My-Job.training.sagemaker', [b]);
    known.alias('My-Job.training.sagemaker', 'mi-0123456789abcdef1');
    known.save();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith('# mine\nexample.com ')).toBe(true);
    expect(text).toContain(
      `my-job.training.sagemaker ${b.type} ${b.key} sm-ssh:alias:mi-0123456789abcdef1\n`
    );
    const again = KnownHosts.load(path);
    expect(
      again.check('mi-0123456789abcdef0', Buffer.from(a.key, 'base64'))
    ).toBe('match');
    expect(
      again.check('mi-0123456789abcdef0', Buffer.from(b.key, 'base64'))
    ).toBe('mismatch');
    expect(
      again.check('mi-0123456789abcdeff', Buffer.from(a.key, 'base64'))
    ).toBe('unpinned');
    expect(again.instancesOf('my-job.training.sagemaker').sort()).toEqual([
      'mi-0123456789abcdef0',
      'mi-0123456789abcdef1'
    ]);
    expect(again.forget('my-job.training.sagemaker')).toBe(3);
    again.save();
    expect(readFileSync(path, 'utf8')).toBe(
      '# mine\nexample.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n'
    );
  });

  it('moves an alias to the instance a name reaches now', () => {
    const known = KnownHosts.load(join(dir, 'known_hosts'));
    const [a, b] = [hostKey(), hostKey()];
    known.pin('mi-0000000000000000a', 'j.training.sagemaker', [a]);
    known.pin('mi-0000000000000000b', 'j.training.sagemaker', [b]);
    known.alias('j.training.sagemaker', 'mi-0000000000000000a');
    known.alias('j.training.sagemaker', 'mi-0000000000000000b');
    known.save();
    const aliases = readFileSync(join(dir, 'known_hosts'), 'utf8')
      .split('\n')
      .filter(line => line.startsWith('j.training.sagemaker '));
    expect(aliases).toEqual([
      `j.training.sagemaker ${b.type} ${b.key} sm-ssh:alias:mi-0000000000000000b`
    ]);
  });
});

describe('keys', () => {
  it('creates one ed25519 key, 0600, and reuses it', () => {
    const paths = statePaths(join(dir, 'config'));
    const first = ensureIdentity(paths);
    expect(statSync(paths.identity).mode & 0o777).toBe(0o600);
    expect(statSync(paths.dir).mode & 0o777).toBe(0o700);
    expect(first.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ sm-ssh@/);
    expect(ensureIdentity(paths).fingerprint).toBe(first.fingerprint);
    const keygen = execFileSync('ssh-keygen', [
      '-l',
      '-f',
      paths.identity
    ]).toString();
    expect(keygen).toContain(first.fingerprint);
  });

  it('generates only pairs ssh2 and OpenSSH read (ssh2 alone writes about one in 256 that it cannot)', () => {
    const { utils } = ssh2();
    const PAIRS = 3000;
    for (let i = 0; i < PAIRS; i++) {
      const pair = generateEd25519Pair('c');
      const parsed = utils.parseKey(pair.private);
      const pub = utils.parseKey(pair.public);
      if (parsed instanceof Error || pub instanceof Error) {
        throw new Error(`pair ${i} does not parse`);
      }
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      const publicKey = Array.isArray(pub) ? pub[0] : pub;
      expect(key.getPublicSSH().equals(publicKey.getPublicSSH())).toBe(true);
    }
    // OpenSSH derives the same public key from one of them
    const file = join(dir, 'generated');
    const pair = generateEd25519Pair('c');
    writeFileSync(file, pair.private, { mode: 0o600 });
    expect(
      execFileSync('ssh-keygen', ['-y', '-f', file]).toString().split(' ')[1]
    ).toBe(pair.public.split(' ')[1]);
  });

  it("names the fix when sm-ssh's own key file is broken: remove it for a new one", () => {
    const paths = statePaths(join(dir, 'broken'));
    ensureIdentity(paths);
    writeFileSync(paths.identity, 'not a key\n', { mode: 0o600 });
    expect(() => ensureIdentity(paths)).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(
          /^cannot use .*id_ed25519 as an SSH private key/
        ),
        hint: `remove ${paths.identity} and ${paths.identity}.pub: sm-ssh creates a new key on the next command and delivers it again`
      })
    );
  });

  it('refuses a key others can read, and one with a passphrase', () => {
    const open = join(dir, 'open');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', open]);
    execFileSync('chmod', ['644', open]);
    expect(() => loadIdentity(open)).toThrow(/can be read by other users/);
    const locked = join(dir, 'locked');
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      'secret',
      '-f',
      locked
    ]);
    expect(() => loadIdentity(locked)).toThrow(UsageError);
  });
});

describe('delivery script', () => {
  it('replaces the owner file, rebuilds authorized_keys from the folder and prints the host keys (real sh)', () => {
    const root = join(dir, 'etc');
    const a = hostKey();
    const key = (k: { type: string; key: string }) =>
      `${k.type} ${k.key} me@laptop`;
    const script = (publicKey: string) =>
      deliveryScript(publicKey, 'AROAEXAMPLE:alice')
        .join('\n')
        .replaceAll('/etc/ssh', root);
    execFileSync('mkdir', ['-p', `${root}/authorized_keys.d`]);
    writeFileSync(
      `${root}/authorized_keys.d/original-project.pub`,
      'ssh-rsa AAAAB3Nza old@original\n'
    );
    writeFileSync(
      `${root}/ssh_host_ed25519_key.pub`,
      `${a.type} ${a.key} root@box\n`
    );
    execFileSync('sh', ['-c', script(key(hostKey()))]);
    const second = key(hostKey());
    const output = execFileSync('sh', ['-c', script(second)]).toString();
    expect(
      readFileSync(`${root}/authorized_keys.d/AROAEXAMPLE:alice`, 'utf8')
    ).toBe(`${second}\n`);
    const authorized = readFileSync(`${root}/authorized_keys`, 'utf8')
      .split('\n')
      .filter(Boolean);
    expect(authorized.sort()).toEqual(
      [second, 'ssh-rsa AAAAB3Nza old@original'].sort()
    );
    expect(hostKeysFromOutput(output)).toEqual([a]);
    expect(
      execFileSync('ls', ['-A', `${root}/authorized_keys.d`])
        .toString()
        .trim()
        .split('\n')
        .sort()
    ).toEqual(['AROAEXAMPLE:alice', 'original-project.pub']);
  });

  it('refuses what could break out of the quoting', () => {
    expect(() => deliveryScript("ssh-ed25519 AAAA' ; rm -rf / '", 'x')).toThrow(
      UsageError
    );
    expect(keyFileName('AROA:me/../../x')).toBe('AROA:me_.._.._x');
    expect(() => keyFileName('.hidden')).toThrow(UsageError);
  });
});

describe('specs', () => {
  it('parses forwards as OpenSSH does, and knows the default forwards of each kind', () => {
    expect(parseForward('L', '8080:localhost:80')).toEqual({
      direction: 'L',
      bindHost: '127.0.0.1',
      bindPort: 8080,
      host: 'localhost',
      hostPort: 80
    });
    expect(parseForward('R', '[::1]:9000:[::1]:9001')).toMatchObject({
      bindHost: '::1',
      host: '::1'
    });
    expect(() => parseForward('L', '8080:localhost')).toThrow(
      /is not \[bind_address:\]port:host:hostport/
    );
    expect(() => parseForward('L', '1:localhost:70000')).toThrow(UsageError);
    expect(() => parseForward('L', '8080:localhost:0')).toThrow(UsageError);
    expect(parseForward('R', '0:localhost:9000').bindPort).toBe(0);
    expect(
      defaultForwards('training').map(
        f => `${f.direction} ${f.bindPort}:${f.hostPort}`
      )
    ).toEqual(['L 11022:22', 'R 12345:12345']);
    expect(defaultForwards(undefined)).toEqual([]);
  });

  it('tells remote from local copy endpoints and splits ranges', () => {
    expect(parseCopyEndpoint('job.training.sagemaker:/opt/ml/x')).toEqual({
      side: 'remote',
      target: 'job.training.sagemaker',
      path: '/opt/ml/x'
    });
    expect(parseCopyEndpoint('mi-0123456789abcdef0:x')).toMatchObject({
      side: 'remote',
      path: 'x'
    });
    expect(parseCopyEndpoint('./a:b')).toEqual({
      side: 'local',
      path: './a:b'
    });
    expect(parseCopyEndpoint('C:file')).toEqual({
      side: 'local',
      path: 'C:file'
    });
    expect(() =>
      copyDirection({ side: 'local', path: 'a' }, { side: 'local', path: 'b' })
    ).toThrow(/neither side of the copy is a target/);
    expect(splitRanges(0, 4)).toEqual([{ start: 0, end: 0 }]);
    const ranges = splitRanges(10 * 1024 * 1024 + 5, 4);
    expect(ranges).toHaveLength(4);
    expect(ranges[0].start).toBe(0);
    expect(ranges[3].end).toBe(10 * 1024 * 1024 + 5);
    ranges
      .slice(1)
      .forEach((range, i) => expect(range.start).toBe(ranges[i].end));
  });
});

describe('ssh config block', () => {
  const block = sshConfigBlock({
    paths: statePaths('/home/me/.config/sm-ssh'),
    command: '/usr/bin/node "/opt/my tools/main.js"'
  });

  it('goes before the first Host line, once, and is replaced in place', () => {
    const config = 'ForwardAgent no\n\nHost *\n  User nobody\n';
    const once = withBlock(config, block);
    expect(once.startsWith(`ForwardAgent no\n\n${BEGIN_MARK}`)).toBe(true);
    expect(withBlock(once, block)).toBe(once);
    const changed = withBlock(once, block.replace('User root', 'User ubuntu'));
    expect(changed).toContain('User ubuntu');
    expect(changed.match(/Host \*\.sagemaker/g)).toHaveLength(1);
    expect(withBlock('', block)).toBe(`${block}\n`);
  });

  it('passes the name as typed (%n) and pins to our known_hosts, strictly', () => {
    expect(block).toContain(
      'ProxyCommand /usr/bin/node "/opt/my tools/main.js" proxy %n'
    );
    expect(block).toContain(
      'UserKnownHostsFile /home/me/.config/sm-ssh/known_hosts'
    );
    expect(block).toContain('StrictHostKeyChecking yes');
    expect(block).toContain('IdentityFile /home/me/.config/sm-ssh/id_ed25519');
  });

  it('reaches spaces through remote access first: sagemaker-user, no pins, HOME and USER', () => {
    const space = block.slice(
      block.indexOf('Host *.space.sagemaker'),
      block.indexOf('Host *.sagemaker')
    );
    // OpenSSH takes the first value of each option, and *.sagemaker matches spaces too
    expect(block.indexOf('Host *.space.sagemaker')).toBeGreaterThan(0);
    expect(block.indexOf('Host *.space.sagemaker')).toBeLessThan(
      block.indexOf('Host *.sagemaker')
    );
    expect(space.split('\n').map(line => line.trim())).toEqual(
      expect.arrayContaining([
        'ProxyCommand /usr/bin/node "/opt/my tools/main.js" proxy %n',
        'User sagemaker-user',
        'StrictHostKeyChecking no',
        'UserKnownHostsFile /dev/null',
        'SetEnv HOME=/home/sagemaker-user USER=sagemaker-user'
      ])
    );
    expect(space).not.toContain('IdentityFile');
    expect(block).toMatch(/# .*new host key in every session/);
  });
});
