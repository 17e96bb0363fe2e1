/**
 * The extension on a real JupyterLab (the project's venv) in Debian's Chromium, against the local sandbox that
 * `scripts/lab.mjs --galata` starts beside it: moto + the sm-ssh sandbox + the demo fleet (real sshd hosts), and a
 * Studio-like execution role with one statement of the client policy removed. The panel talks to `sm-ssh serve`
 * through jupyter-server-proxy, as in Studio.
 *
 * One JupyterLab and one bridge serve every test, in this file's order (workers: 1): the screenshots first, while
 * no tunnel is open.
 */
import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const TRAINING = 'ssh-training-demo.training.sagemaker';
// the sandbox gives each demo node its own UTS namespace: `<kind>-<name>-<node index>`
const TRAINING_NODE_1_HOSTNAME = 'training-ssh-training-demo-0';
const BOB = 'bob-training-job.training.sagemaker';

test.describe.configure({ mode: 'serial' });

async function openPanel(page: IJupyterLabPageFixture) {
  await page.sidebar.openTab('sm-ssh-panel');
  const panel = page.locator('#sm-ssh-panel');
  await expect(panel).toBeVisible();
  await expect(
    panel.locator(`li.jp-SmSsh-target[data-target="${TRAINING}"]`)
  ).toBeVisible({ timeout: 30_000 });
  return panel;
}

/** The text of the terminal opened for `target` (xterm's buffer: it may render on a canvas). */
async function terminalText(page: IJupyterLabPageFixture): Promise<string> {
  return page.evaluate(() => {
    const app = (window as any).jupyterapp;
    for (const widget of app.shell.widgets('main')) {
      if (widget.hasClass('jp-SmSsh-terminal')) {
        const buffer = widget.content._term.buffer.active;
        const lines: string[] = [];
        for (let i = 0; i < buffer.length; i++) {
          const line = buffer.getLine(i);
          const text = line?.translateToString(true) ?? '';
          // a row the terminal wrapped continues the one before it
          if (line?.isWrapped && lines.length) {
            lines[lines.length - 1] += text;
          } else {
            lines.push(text);
          }
        }
        return lines.join('\n');
      }
    }
    return '';
  });
}

test('the panel lists the sandbox targets grouped by kind, with status and owner', async ({
  page
}) => {
  const panel = await openPanel(page);
  const kinds = await panel
    .locator('section.jp-SmSsh-group')
    .evaluateAll(sections =>
      sections.map(section => section.getAttribute('data-kind'))
    );
  expect(kinds).toEqual([
    'training',
    'processing',
    'transform',
    'inference',
    'notebook',
    'studio'
  ]);

  const training = panel.locator(
    `li.jp-SmSsh-target[data-target="${TRAINING}"]`
  );
  await expect(training).toHaveAttribute('data-status', 'InProgress');
  await expect(training.getByLabel(`Node of ${TRAINING}`)).toHaveCount(1);
  await expect(
    training.getByLabel(`Node of ${TRAINING}`).locator('option')
  ).toHaveCount(2);
  await expect(
    panel.locator(
      'li.jp-SmSsh-target[data-target="ssh-endpoint-demo.inference.sagemaker"]'
    )
  ).toHaveAttribute('data-status', 'InService');
  await expect(
    panel.locator(
      'li.jp-SmSsh-target[data-target="datascience-1-0-ml-t3-medium-demo.alice.d-ssh-demo.studio.sagemaker"]'
    )
  ).toBeVisible();
  // another user's job is left out unless the settings ask for it
  await expect(
    panel.locator(`li.jp-SmSsh-target[data-target="${BOB}"]`)
  ).toHaveCount(0);

  await panel.getByLabel('Filter targets').fill('processing');
  await expect(panel.locator('li.jp-SmSsh-target')).toHaveCount(1);
  await expect(panel.locator('li.jp-SmSsh-target')).toHaveAttribute(
    'data-kind',
    'processing'
  );
  await panel.getByLabel('Filter targets').fill('');
  await expect(panel.locator('li.jp-SmSsh-target')).toHaveCount(6);
});

test('the panel in the light and the dark theme', async ({ page }) => {
  const panel = await openPanel(page);
  await page.sidebar.setWidth(360);
  // the ages change from run to run
  const mask = [panel.locator('.jp-SmSsh-age')];
  await expect(panel).toHaveScreenshot('sm-ssh-panel-light.png', {
    mask,
    maxDiffPixelRatio: 0.02
  });
  // the README's screenshot: the whole page with the panel open
  await page.screenshot({
    path: test.info().outputPath('jupyterlab-with-panel.png')
  });
  await page.theme.setDarkTheme();
  await expect(
    panel.locator(`li.jp-SmSsh-target[data-target="${TRAINING}"]`)
  ).toBeVisible();
  await expect(panel).toHaveScreenshot('sm-ssh-panel-dark.png', {
    mask,
    maxDiffPixelRatio: 0.02
  });
  await page.theme.setLightTheme();
});

test('the setup check shows the statement the execution role lacks, with its fix', async ({
  page
}) => {
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('sm-ssh:check-setup')
  );
  const view = page.locator('#sm-ssh-setup-check');
  await expect(view).toBeVisible();
  const missing = view.locator('li.jp-SmSsh-checkItem[data-status="MISSING"]');
  await expect(missing).toHaveCount(1, { timeout: 60_000 });
  await expect(
    view.locator('li.jp-SmSsh-checkItem[data-status="OK"]').first()
  ).toBeVisible();
  const fix = JSON.parse(
    (await missing.locator('pre.jp-SmSsh-fix').textContent()) ?? '{}'
  );
  expect(fix.Effect).toBe('Allow');
  expect(JSON.stringify(fix.Action)).toContain('ssm:StartSession');
  await expect(view.locator('.jp-SmSsh-checkSummary')).toContainText(
    '1 missing'
  );
});

test('Open terminal runs sm-ssh connect and the shell is on the remote host', async ({
  page
}) => {
  test.setTimeout(120_000);
  const panel = await openPanel(page);
  await panel
    .getByRole('button', { name: `Open terminal on ${TRAINING}` })
    .click();
  const terminal = page.locator('.jp-SmSsh-terminal');
  await expect(terminal).toBeVisible();
  await expect(
    page.locator('.lm-TabBar-tab', { hasText: `SSH ${TRAINING}` })
  ).toBeVisible();

  // the remote prompt: a line after the connect command that ends like a shell prompt
  let seen = '';
  try {
    await expect
      .poll(
        async () => {
          seen = await terminalText(page);
          const after = seen.slice(seen.indexOf(`connect ${TRAINING}`));
          return after
            .split('\n')
            .slice(1)
            .some(line => /[#$]\s*$/.test(line));
        },
        { timeout: 60_000 }
      )
      .toBe(true);
  } catch (error) {
    console.log(`the terminal showed:\n${seen}`);
    throw error;
  }
  await terminal.locator('.xterm-helper-textarea').focus();
  // $(hostname) is expanded by the remote shell: the local shell (had connect failed) would print another name
  await page.keyboard.type('echo "host=$(hostname)"\n');
  await expect
    .poll(() => terminalText(page), { timeout: 30_000 })
    .toContain(`host=${TRAINING_NODE_1_HOSTNAME}`);
});

test.describe('a port forward', () => {
  let server: Server;
  let remotePort: number;

  test.beforeAll(async () => {
    // the sandbox's instances share this host's network, so localhost:<port> on the instance is this server
    server = createServer((request, response) => {
      response.setHeader('content-type', 'text/plain');
      response.end(`through the tunnel: ${request.url}\n`);
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    remotePort = (server.address() as AddressInfo).port;
  });

  test.afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
  });

  test('Forward port… opens a tunnel, the status bar counts it, a fetch goes through, close ends it', async ({
    page
  }) => {
    const panel = await openPanel(page);
    const status = page.locator('.jp-SmSsh-statusItem');
    await expect(status).toHaveAttribute('data-count', '0');

    await panel
      .getByRole('button', { name: `Forward a port of ${TRAINING}` })
      .click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.getByLabel('Remote port').fill(String(remotePort));
    await dialog.getByRole('button', { name: 'Forward', exact: true }).click();

    const tunnel = panel.locator('li.jp-SmSsh-tunnel[data-state="up"]');
    await expect(tunnel).toHaveCount(1, { timeout: 60_000 });
    await expect(tunnel).toContainText(`${TRAINING}:${remotePort}`);
    const localPort = Number(
      /localhost:(\d+)/.exec((await tunnel.textContent()) ?? '')?.[1]
    );
    expect(localPort).toBeGreaterThan(0);
    await expect(status).toHaveAttribute('data-count', '1');
    await expect(status).toHaveText('1 SSH tunnel');

    // through jupyter-server-proxy's /proxy/<port>/ to the tunnel's local port, then SSH over SSM to the instance
    const response = await page.request.get(`proxy/${localPort}/hello`);
    expect(response.status()).toBe(200);
    expect(await response.text()).toContain('through the tunnel: /hello');
    await expect
      .poll(
        async () =>
          Number(
            await tunnel.locator('.jp-SmSsh-bytesIn').getAttribute('data-bytes')
          ),
        { timeout: 15_000 }
      )
      .toBeGreaterThan(0);
    expect(
      Number(
        await tunnel.locator('.jp-SmSsh-bytesOut').getAttribute('data-bytes')
      )
    ).toBeGreaterThan(0);

    await tunnel
      .getByRole('button', { name: `Close tunnel localhost:${localPort}` })
      .click();
    await expect(
      panel.locator('li.jp-SmSsh-tunnel[data-state="up"]')
    ).toHaveCount(0);
    await expect(status).toHaveAttribute('data-count', '0');
    const after = await page.request.get(`proxy/${localPort}/hello`);
    expect(after.status()).toBeGreaterThanOrEqual(500);
  });
});
