#!/bin/bash
# Studio lifecycle configuration (app type JupyterLab): installs the sagemaker-ssh JupyterLab extension into the
# space's Jupyter server environment every time the space's app starts (a manual `pip install` does not survive the
# app being re-created). Attach it to the domain, the user profile or the space:
#
#   aws sagemaker create-studio-lifecycle-config --studio-lifecycle-config-name sm-ssh-jupyterlab \
#     --studio-lifecycle-config-app-type JupyterLab \
#     --studio-lifecycle-config-content "$(base64 -w0 jupyterlab-space-lcc.sh)"
#   aws sagemaker update-domain --domain-id d-xxxxxxxx --default-user-settings \
#     '{"JupyterLabAppSettings": {"LifecycleConfigArns": ["arn:aws:sagemaker:<region>:<account>:studio-lifecycle-config/sm-ssh-jupyterlab"]}}'
#
# SM_SSH_WHEEL: what to install: the PyPI name (default) or a wheel you copied to S3 (then the execution role needs
# s3:GetObject on it), e.g. s3://my-bucket/wheels/sagemaker_ssh_jupyterlab-0.1.0-py3-none-any.whl
set -euo pipefail
SM_SSH_WHEEL="${SM_SSH_WHEEL:-sagemaker-ssh-jupyterlab}"

if [[ "$SM_SSH_WHEEL" == s3://* ]]; then
  local_wheel="/tmp/$(basename "$SM_SSH_WHEEL")"
  aws s3 cp --quiet "$SM_SSH_WHEEL" "$local_wheel"
  SM_SSH_WHEEL="$local_wheel"
fi

# SageMaker Distribution runs Jupyter from /opt/conda (with Node >= 20 there, which the bundled sm-ssh needs)
/opt/conda/bin/python -m pip install --quiet --no-cache-dir "$SM_SSH_WHEEL"
/opt/conda/bin/jupyter labextension list 2>&1 | grep -q 'sagemaker-ssh-jupyterlab.*enabled.*OK'

# the Jupyter server may already be up when the configuration runs: restart it so it loads the extension and the
# jupyter-server-proxy entry of `sm-ssh serve` (open terminals close)
if command -v restart-jupyter-server >/dev/null 2>&1; then
  restart-jupyter-server
fi
