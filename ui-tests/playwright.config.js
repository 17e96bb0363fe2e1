/**
 * Configuration for Playwright using default from @jupyterlab/galata
 *
 * Runs against Debian's Chromium (`apt-get install -y chromium`); Playwright
 * never downloads a browser here. The Jupyter server port comes from
 * SM_SSH_UI_PORT (default 8888), shared with jupyter_server_test_config.py.
 */
const path = require('path');

const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.SM_SSH_UI_PORT || '8888';
const baseURL = process.env.TARGET_URL || `http://localhost:${port}`;
const chromium = process.env.SM_SSH_CHROMIUM || '/usr/bin/chromium';
const venvBin = path.resolve(__dirname, '..', '.venv', 'bin');

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
    command: 'npm start',
    url: `${baseURL}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI,
    env: {
      ...process.env,
      SM_SSH_UI_PORT: port,
      PATH: `${venvBin}${path.delimiter}${process.env.PATH || ''}`
    }
  }
};
