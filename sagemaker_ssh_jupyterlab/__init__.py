"""SSH into SageMaker from JupyterLab: the extension's panel, and a Python client of the sm-ssh CLI.

``from sagemaker_ssh_jupyterlab import SmSsh, SmSshError`` gives the client (``client.py``): list targets, run a
command on one, start a training or processing job with SSH from a boto3-style request, release its wait.
"""

try:
    from ._version import __version__
except ImportError:
    # Fallback when using the package in dev mode without installing
    # in editable mode with pip. It is highly recommended to install
    # the package from a stable release or in editable mode: https://pip.pypa.io/en/stable/topics/local-project-installs/#editable-installs
    import warnings

    warnings.warn("Importing 'sagemaker_ssh_jupyterlab' outside a proper installation.", stacklevel=2)
    __version__ = "dev"

from . import client
from .client import *  # noqa: F403 -- the client's public names, listed once, in client.__all__

__all__ = ["__version__"]
__all__ += client.__all__


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "sagemaker-ssh-jupyterlab"}]
