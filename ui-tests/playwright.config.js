/**
 * Configuration for Playwright using default from @jupyterlab/galata
 *
 * Runs against Debian's Chromium (`apt-get install -y chromium`); Playwright
 * never downloads a browser here. The Jupyter server port comes from
 * SM_SSH_UI_PORT (default 8888), shared with jupyter_server_test_config.py.
 *
 * The web server is `scripts/lab.mjs --galata`: the local sandbox (moto, the
 * sm-ssh sandbox, the demo fleet, a Studio-like execution role with one setup
 * item missing) and `jupyter lab` from .venv with Galata's settings, the
 * extension and its jupyter-server-proxy entry (`sm-ssh serve` at /sm-ssh/).
 * It writes what the tests need to know about the sandbox (caller, instance
 * ids, hostnames) to SM_SSH_UI_STATE (default ui-tests/.sandbox-state.json).
 */
const path = require('path');

const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.SM_SSH_UI_PORT || '8888';
const baseURL = process.env.TARGET_URL || `http://localhost:${port}`;
const chromium = process.env.SM_SSH_CHROMIUM || '/usr/bin/chromium';
const venvBin = path.resolve(__dirname, '..', '.venv', 'bin');
const state =
  process.env.SM_SSH_UI_STATE || path.resolve(__dirname, '.sandbox-state.json');

module.exports = {
  ...baseConfig,
  use: {
    ...baseConfig.use,
    baseURL,
    // Chromium video recording needs Playwright's own ffmpeg download.
    video: 'off',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: 'node ../scripts/lab.mjs --galata',
    url: `${baseURL}/lab`,
    // the sandbox and its fleet, the setup, then JupyterLab and the bridge, on two busy cores
    timeout: 180 * 1000,
    reuseExistingServer: !process.env.CI,
    // SIGTERM lets lab.mjs stop JupyterLab and the sandbox (sshd hosts, moto) and remove its scratch dirs; by
    // default Playwright SIGKILLs the process group, which would leave them behind
    gracefulShutdown: { signal: 'SIGTERM', timeout: 30 * 1000 },
    env: {
      ...process.env,
      SM_SSH_UI_PORT: port,
      SM_SSH_UI_STATE: state,
      PATH: `${venvBin}${path.delimiter}${process.env.PATH || ''}`
    }
  }
};
