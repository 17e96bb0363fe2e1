/** URLs the panel links to. */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { URLExt } from '@jupyterlab/coreutils';

/** `<baseUrl>proxy/<port>/`: jupyter-server-proxy's route to a port of the Jupyter server host. */
export function proxyUrl(
  app: Pick<JupyterFrontEnd, 'serviceManager'>,
  localPort: number
): string {
  return URLExt.join(
    app.serviceManager.serverSettings.baseUrl,
    'proxy',
    String(localPort),
    '/'
  );
}
