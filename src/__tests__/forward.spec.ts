/** The forward dialog's rules (validateForward), the patterns the browser checks, and the dialog body. */
import './support/no-web-components';
import { nullTranslator } from '@jupyterlab/translation';
import { ForwardDialogBody } from '../components/ForwardDialog';
import {
  HOST_PATTERN,
  isHost,
  LOCAL_PORT_PATTERN,
  PORT_PATTERN,
  validateForward,
  type IForwardForm
} from '../forward';

const trans = nullTranslator.load('test');

function form(overrides: Partial<IForwardForm> = {}): IForwardForm {
  return {
    remotePort: '8888',
    localPort: '',
    remoteHost: '',
    node: '1',
    ...overrides
  };
}

/** As the browser compiles a `pattern` attribute: whole value, `v` flag. */
function htmlPattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'v');
}

describe('validateForward', () => {
  it('takes a remote port alone: local 0 (free), host localhost, node 1', () => {
    expect(validateForward(form(), 1)).toEqual({
      ok: true,
      values: {
        remotePort: 8888,
        localPort: 0,
        remoteHost: 'localhost',
        node: 1
      }
    });
  });

  it('takes every field, trimmed', () => {
    expect(
      validateForward(
        form({
          remotePort: ' 6006 ',
          localPort: '16006',
          remoteHost: ' 10.0.0.5 ',
          node: '2'
        }),
        2
      )
    ).toEqual({
      ok: true,
      values: {
        remotePort: 6006,
        localPort: 16006,
        remoteHost: '10.0.0.5',
        node: 2
      }
    });
    expect(validateForward(form({ localPort: '0' }), 1)).toMatchObject({
      ok: true,
      values: { localPort: 0 }
    });
  });

  it.each([
    ['', /Enter the port/],
    ['0', /1 to 65535/],
    ['65536', /1 to 65535/],
    ['-1', /1 to 65535/],
    ['80.5', /1 to 65535/],
    ['1e3', /1 to 65535/],
    ['abc', /1 to 65535/],
    ['0x50', /1 to 65535/]
  ])('refuses remote port %p', (remotePort, message) => {
    const result = validateForward(form({ remotePort }), 1, trans);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.remotePort).toMatch(message);
  });

  it.each(['65536', '-5', 'x', '1.5', '99999999'])(
    'refuses local port %p',
    localPort => {
      const result = validateForward(form({ localPort }), 1);
      expect(!result.ok && result.errors.localPort).toMatch(/blank/);
    }
  );

  it.each([
    'has space',
    'a..b',
    '-lead.example',
    'semi;colon',
    'x'.repeat(254),
    'ex$ample'
  ])('refuses remote host %p', remoteHost => {
    const result = validateForward(form({ remoteHost }), 1);
    expect(!result.ok && result.errors.remoteHost).toMatch(/host name or IP/);
  });

  it.each([
    'localhost',
    'db.internal',
    'my_host',
    '127.0.0.1',
    '::1',
    'fe80::1',
    'example.com.'
  ])('takes remote host %p', remoteHost => {
    expect(isHost(remoteHost)).toBe(true);
    expect(validateForward(form({ remoteHost }), 1).ok).toBe(true);
  });

  it('checks the node against the node count', () => {
    expect(validateForward(form({ node: '3' }), 2)).toMatchObject({
      ok: false,
      errors: { node: 'A node from 1 to 2' }
    });
    expect(validateForward(form({ node: '0' }), 2).ok).toBe(false);
    expect(validateForward(form({ node: '2' }), 2).ok).toBe(true);
  });

  it('reports every bad field at once', () => {
    const result = validateForward(
      form({ remotePort: '', localPort: 'x', remoteHost: 'a b', node: '9' }),
      1
    );
    expect(!result.ok && Object.keys(result.errors).sort()).toEqual([
      'localPort',
      'node',
      'remoteHost',
      'remotePort'
    ]);
  });
});

describe('the HTML patterns agree with validateForward', () => {
  const ports = [
    '0',
    '1',
    '9',
    '10',
    '99',
    '100',
    '999',
    '1000',
    '1023',
    '8888',
    '9999',
    '10000',
    '59999',
    '60000',
    '64999',
    '65000',
    '65499',
    '65500',
    '65529',
    '65530',
    '65535',
    '65536',
    '65540',
    '65600',
    '66000',
    '70000',
    '99999',
    '007',
    '-1',
    '',
    'a'
  ];

  it.each(ports)('remote port %p', port => {
    expect(htmlPattern(PORT_PATTERN).test(port)).toBe(
      validateForward(form({ remotePort: port }), 1).ok
    );
  });

  it.each(ports.filter(port => port !== ''))('local port %p', port => {
    expect(htmlPattern(LOCAL_PORT_PATTERN).test(port)).toBe(
      validateForward(form({ localPort: port }), 1).ok
    );
  });

  it('the host pattern lets through every host validateForward takes', () => {
    for (const host of [
      'localhost',
      'db.internal',
      'my_host',
      '127.0.0.1',
      '::1',
      'fe80::1'
    ]) {
      expect(htmlPattern(HOST_PATTERN).test(host)).toBe(true);
    }
    for (const host of ['has space', 'semi;colon', 'ex$ample']) {
      expect(htmlPattern(HOST_PATTERN).test(host)).toBe(false);
    }
  });
});

describe('ForwardDialogBody', () => {
  function fields(body: ForwardDialogBody) {
    const byLabel = (label: string) =>
      body.node.querySelector(
        `[aria-label="${label}"]`
      ) as HTMLInputElement | null;
    return {
      remote: byLabel('Remote port')!,
      local: byLabel('Local port')!,
      host: byLabel('Remote host')!,
      node: byLabel('Node') as HTMLSelectElement | null
    };
  }

  function type(input: HTMLInputElement, value: string) {
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }

  it('has the labelled inputs, the node picker only for several nodes', () => {
    const one = new ForwardDialogBody(
      { target: 't', nodes: 1 },
      form({ remotePort: '' }),
      trans
    );
    expect(fields(one).remote.required).toBe(true);
    expect(fields(one).local.required).toBe(false);
    expect(fields(one).host.placeholder).toBe('localhost');
    expect(fields(one).node).toBeNull();
    const labels = Array.from(one.node.querySelectorAll('label')).map(
      l => l.textContent
    );
    expect(labels).toEqual(['Remote port', 'Local port', 'Remote host']);

    const two = new ForwardDialogBody(
      { target: 't', nodes: 3 },
      form({ node: '2' }),
      trans
    );
    const node = fields(two).node!;
    expect(Array.from(node.options).map(o => o.value)).toEqual(['1', '2', '3']);
    expect(node.value).toBe('2');
  });

  it('shows a message inline once a field is touched, and clears it when fixed', () => {
    const body = new ForwardDialogBody(
      { target: 't', nodes: 1 },
      form({ remotePort: '' }),
      trans
    );
    const { remote } = fields(body);
    const message = () =>
      body.node.querySelector(`#${remote.getAttribute('aria-describedby')}`)!
        .textContent;
    expect(message()).toBe('');
    type(remote, '70000');
    expect(message()).toMatch(/1 to 65535/);
    expect(remote.getAttribute('aria-invalid')).toBe('true');
    expect(remote.classList.contains('jp-SmSsh-invalid')).toBe(true);
    type(remote, '8080');
    expect(message()).toBe('');
    expect(remote.getAttribute('aria-invalid')).toBe('false');
    expect(body.getValue()).toEqual({
      form: { remotePort: '8080', localPort: '', remoteHost: '', node: '1' },
      validation: {
        ok: true,
        values: {
          remotePort: 8080,
          localPort: 0,
          remoteHost: 'localhost',
          node: 1
        }
      }
    });
  });

  it('shows every message at once after an invalid submit', () => {
    const body = new ForwardDialogBody(
      { target: 't', nodes: 1 },
      form({ remotePort: '', localPort: 'x' }),
      trans,
      true
    );
    const texts = Array.from(
      body.node.querySelectorAll('.jp-SmSsh-fieldMessage')
    ).map(n => n.textContent);
    expect(texts[0]).toMatch(/Enter the port/);
    expect(texts[1]).toMatch(/blank/);
    expect(texts[2]).toBe('');
    expect(body.getValue().validation.ok).toBe(false);
  });
});
