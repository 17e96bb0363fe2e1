"""Server configuration for integration tests.

`scripts/lab.mjs --galata` (the web server of playwright.config.js) runs
`jupyter lab --config` with this file, with the local sandbox's environment,
a scratch HOME and JUPYTERLAB_GALATA_ROOT_DIR set.

!! Never use this configuration in production because it
opens the server to the world and provide access to JupyterLab
JavaScript objects through the global window variable.
"""
import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)

# Same variable as playwright.config.js (port 8888 may be taken on the host).
c.ServerApp.port = int(os.environ.get("SM_SSH_UI_PORT", "8888"))

# CI containers and this dev box run the tests as root.
if hasattr(os, "geteuid") and os.geteuid() == 0:
    c.ServerApp.allow_root = True

# Uncomment to set server log level to debug level
# c.ServerApp.log_level = "DEBUG"
