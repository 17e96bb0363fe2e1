/**
 * The extension on a real JupyterLab (the project's venv) in Debian's Chromium, against the local sandbox that
 * `scripts/lab.mjs --galata` starts beside it: moto + the sm-ssh sandbox + the demo fleet (real sshd hosts), and a
 * Studio-like execution role with one statement of the client policy removed. The panel talks to `sm-ssh serve`
 * through jupyter-server-proxy, as in Studio.
 *
 * One JupyterLab and one bridge serve every test, in this file's order (workers: 1): the screenshots first, while
 * no tunnel is open and the job launched with SSH (`ssh-job-demo`, started by lab.mjs) waits for a connection; the
 * Studio spaces next, since enabling remote access on `ssh-space-off-demo` changes it; releasing the job last.
 */
import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const TRAINING = 'ssh-training-demo.training.sagemaker';
// the sandbox gives each demo node its own UTS namespace: `<kind>-<name>-<node index>`
const TRAINING_NODE_1_HOSTNAME = 'training-ssh-training-demo-0';
const BOB = 'bob-training-job.training.sagemaker';
// the demo domain's id is moto's (it changes from run to run): rows of spaces are found by the name's first label
const SPACE_ON = 'ssh-space-demo';
const SPACE_OFF = 'ssh-space-off-demo';
const spaceRow = (name: string) =>
  `li.jp-SmSsh-target[data-kind="space"][data-target^="${name}."]`;
// the training job lab.mjs launches with SSH: 1 node, a wait of an hour, then a command of 30 s that exits 0
const JOB = 'ssh-job-demo.training.sagemaker';
const JOB_ROW = `li.jp-SmSsh-target[data-target="${JOB}"]`;

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

/**
 * The job's row once the job waits for a connection: the sandbox runs the job, its wrapper registers the node and
 * says it waits, and the bridge's listing reads that from the job's log.
 */
async function jobWaiting(panel: Locator): Promise<Locator> {
  const row = panel.locator(JOB_ROW);
  await expect(row).toHaveAttribute('data-job-phase', 'waiting', {
    timeout: 120_000
  });
  return row;
}

/** The text of the terminal opened for `target` (xterm's buffer: it may render on a canvas). */
async function terminalText(
  page: IJupyterLabPageFixture,
  target: string
): Promise<string> {
  return page.evaluate(label => {
    const app = (window as any).jupyterapp;
    for (const widget of app.shell.widgets('main')) {
      if (
        widget.hasClass('jp-SmSsh-terminal') &&
        widget.title.label === label
      ) {
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
  }, `SSH ${target}`);
}

/**
 * Opens a terminal on `target` from its row and waits for the remote prompt (a line after the connect command that
 * ends like a shell prompt), then runs `echo "host=$(hostname)"` in it and waits for `host=<hostname>`: the local
 * shell (had connect failed) would print another name.
 */
async function terminalReaches(
  page: IJupyterLabPageFixture,
  row: Locator,
  target: string,
  hostname: string
): Promise<void> {
  await row.getByRole('button', { name: `Open terminal on ${target}` }).click();
  const tab = page.locator('.lm-TabBar-tab', { hasText: `SSH ${target}` });
  await expect(tab).toBeVisible();
  let seen = '';
  try {
    await expect
      .poll(
        async () => {
          seen = await terminalText(page, target);
          const after = seen.slice(seen.indexOf(`connect ${target}`));
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
  const terminal = page.locator('.jp-SmSsh-terminal:visible');
  await terminal.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type('echo "host=$(hostname)"\n');
  await expect
    .poll(() => terminalText(page, target), { timeout: 30_000 })
    .toContain(`host=${hostname}`);
}

test('the panel lists the sandbox targets grouped by kind, with status and owner', async ({
  page
}) => {
  test.setTimeout(180_000);
  const panel = await openPanel(page);
  await jobWaiting(panel);
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
    'studio',
    'space'
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
  // the demo fleet's eight of mine, and the job launched with SSH
  await expect(panel.locator('li.jp-SmSsh-target')).toHaveCount(9);
});

test('the panel in the light and the dark theme', async ({ page }) => {
  test.setTimeout(180_000);
  const panel = await openPanel(page);
  await jobWaiting(panel);
  await page.sidebar.setWidth(360);
  // the ages, the demo domain's id and the time left of the job's wait change from run to run
  const mask = [
    panel.locator('.jp-SmSsh-age'),
    panel.locator('.jp-SmSsh-domain'),
    panel.locator('.jp-SmSsh-jobTimeLeft')
  ];
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
  await terminalReaches(
    page,
    panel.locator(`li.jp-SmSsh-target[data-target="${TRAINING}"]`),
    TRAINING,
    TRAINING_NODE_1_HOSTNAME
  );
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

test('Studio spaces show their remote access on and off, the app and its status', async ({
  page
}) => {
  const panel = await openPanel(page);
  const group = panel.locator('section.jp-SmSsh-group[data-kind="space"]');
  await expect(group.locator('h3')).toHaveText('Studio spaces');
  const on = panel.locator(spaceRow(SPACE_ON));
  const off = panel.locator(spaceRow(SPACE_OFF));
  await expect(on).toHaveAttribute('data-remote-access', 'ENABLED');
  await expect(on).toHaveAttribute('data-app-status', 'InService');
  await expect(on.locator('.jp-SmSsh-remoteAccess')).toHaveText(
    'remote access on'
  );
  await expect(on.locator('.jp-SmSsh-app')).toHaveText(
    'JupyterLab app: InService'
  );
  await expect(off).toHaveAttribute('data-remote-access', 'DISABLED');
  await expect(off.locator('.jp-SmSsh-remoteAccess')).toHaveText(
    'remote access off'
  );
  const offName = (await off.getAttribute('data-target')) ?? '';
  for (const label of [
    `Open terminal on ${offName}`,
    `Forward a port of ${offName}`
  ]) {
    const button = off.getByRole('button', { name: label });
    await expect(button).toBeDisabled();
    await expect(button).toHaveAttribute(
      'title',
      `Remote access is off on ${offName}: enable it first`
    );
  }
  await expect(
    off.getByRole('button', { name: `Enable remote access on ${offName}` })
  ).toBeEnabled();
  await expect(on.locator('.jp-SmSsh-enableRemoteAccess')).toHaveCount(0);

  await page.sidebar.setWidth(360);
  await group.scrollIntoViewIfNeeded();
  const mask = [
    group.locator('.jp-SmSsh-age'),
    group.locator('.jp-SmSsh-domain')
  ];
  await expect(group).toHaveScreenshot('sm-ssh-spaces-light.png', {
    mask,
    maxDiffPixelRatio: 0.02
  });
  await page.theme.setDarkTheme();
  await expect(off).toBeVisible();
  await expect(group).toHaveScreenshot('sm-ssh-spaces-dark.png', {
    mask,
    maxDiffPixelRatio: 0.02
  });
  await page.theme.setLightTheme();
  // a narrow sidebar: the badges go under the name instead of cutting it short
  await page.sidebar.setWidth(250);
  await expect(off.locator('.jp-SmSsh-targetName')).toHaveText(SPACE_OFF);
  const name = await off
    .locator('.jp-SmSsh-targetName')
    .evaluate(node => node.scrollWidth <= node.clientWidth);
  expect(name).toBe(true);
  await group.screenshot({
    path: test.info().outputPath('spaces-narrow.png')
  });
});

test('Terminal on a space with remote access on: the shell runs in the space', async ({
  page
}) => {
  test.setTimeout(120_000);
  const panel = await openPanel(page);
  const row = panel.locator(spaceRow(SPACE_ON));
  const name = (await row.getAttribute('data-target')) ?? '';
  await terminalReaches(page, row, name, SPACE_ON);
});

test('Enable remote access… on the space that has it off: the warning, the progress, then on', async ({
  page
}) => {
  test.setTimeout(120_000);
  const panel = await openPanel(page);
  const off = panel.locator(spaceRow(SPACE_OFF));
  const name = (await off.getAttribute('data-target')) ?? '';
  await off
    .getByRole('button', { name: `Enable remote access on ${name}` })
    .click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText(`Enable remote access on ${SPACE_OFF}?`);
  await expect(dialog.locator('.jp-SmSsh-enableWarning')).toHaveText(
    'The space’s JupyterLab app restarts to apply it: unsaved work in it is lost, and its kernels and terminals stop.'
  );
  // cancelling changes nothing
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(off).toHaveAttribute('data-remote-access', 'DISABLED');

  await off
    .getByRole('button', { name: `Enable remote access on ${name}` })
    .click();
  await dialog.screenshot({
    path: test.info().outputPath('enable-remote-access-dialog.png')
  });
  await dialog.getByRole('button', { name: 'Restart and enable' }).click();
  await expect(off).toHaveAttribute('data-operation', /running|done/);
  await expect(off).toHaveAttribute('data-remote-access', 'ENABLED', {
    timeout: 60_000
  });
  await expect(off).toHaveAttribute('data-operation', 'done');
  await expect(off.locator('.jp-SmSsh-spaceOperation')).toHaveCount(0);
  await expect(off.locator('.jp-SmSsh-remoteAccess')).toHaveText(
    'remote access on'
  );
  await expect(
    page.locator('.jp-toast-message', {
      hasText: `Remote access is on for ${name}`
    })
  ).toBeVisible();
  await expect(
    off.getByRole('button', { name: `Open terminal on ${name}` })
  ).toBeEnabled();
  await expect(off.locator('.jp-SmSsh-enableRemoteAccess')).toHaveCount(0);
});

test('a job launched with SSH waits for a connection; Release runs its command, then it shows finished', async ({
  page
}) => {
  test.setTimeout(240_000);
  const panel = await openPanel(page);
  const row = await jobWaiting(panel);
  await expect(row).toHaveAttribute('data-status', 'InProgress');
  const phase = row.locator('.jp-SmSsh-jobPhase');
  await expect(phase).toHaveText('waiting for connection');
  // lab.mjs gave it an hour, and it started a few minutes ago
  await expect(row.locator('.jp-SmSsh-jobTimeLeft')).toHaveText(
    /^[1-6]?\d min left$/
  );
  const labels = await row
    .locator('.jp-SmSsh-targetActions button')
    .evaluateAll(buttons =>
      buttons.map(button => button.getAttribute('aria-label'))
    );
  expect(labels).toEqual([
    `Open terminal on ${JOB}`,
    `Release ${JOB}`,
    `Forward a port of ${JOB}`,
    `Copy ssh command for ${JOB}`
  ]);
  const release = row.getByRole('button', { name: `Release ${JOB}` });
  await expect(release).toBeEnabled();
  await expect(release).toHaveText('Release');

  // while it waits, its node is reachable: a terminal on it is a shell in the job's container (algo-1)
  await terminalReaches(page, row, JOB, 'algo-1');

  await page.sidebar.setWidth(360);
  await row.scrollIntoViewIfNeeded();
  await release.hover();
  // the README's screenshot: a shell in the waiting job, and in the panel Release beside Terminal
  await page.screenshot({
    path: test.info().outputPath('jupyterlab-job-release.png')
  });
  await row.screenshot({ path: test.info().outputPath('job-waiting.png') });
  for (const theme of ['dark', 'light'] as const) {
    await (theme === 'dark'
      ? page.theme.setDarkTheme()
      : page.theme.setLightTheme());
    await row.screenshot({
      path: test.info().outputPath(`job-waiting-${theme}.png`)
    });
  }

  await release.click();
  await expect(
    page.locator('.jp-toast-message', {
      hasText: `Released ${JOB} (node 1 released): its command starts now`
    })
  ).toBeVisible({ timeout: 60_000 });
  // the listing catches up with the job's log: its own command runs (30 s), then the job ends
  await expect(row).toHaveAttribute('data-job-phase', 'running', {
    timeout: 60_000
  });
  await expect(phase).toHaveText('running');
  await expect(row.locator('.jp-SmSsh-releaseJob')).toHaveCount(0);
  await row.screenshot({ path: test.info().outputPath('job-running.png') });
  await expect(row).toHaveAttribute('data-job-phase', 'finished', {
    timeout: 120_000
  });
  await expect(row).toHaveAttribute('data-status', 'Completed');
  await expect(phase).toHaveText('finished');
  await expect(
    row.getByRole('button', { name: `Open terminal on ${JOB}` })
  ).toBeDisabled();
  await expect(
    row.getByRole('button', { name: `Open terminal on ${JOB}` })
  ).toHaveAttribute('title', `${JOB} has finished: its SSH nodes are gone`);
  await row.screenshot({ path: test.info().outputPath('job-finished.png') });
});
