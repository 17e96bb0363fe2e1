import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { ISettingRegistry } from '@jupyterlab/settingregistry';

/**
 * Initialization data for the sagemaker-ssh-jupyterlab extension.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'sagemaker-ssh-jupyterlab:plugin',
  description:
    'SSH into SageMaker jobs, endpoints, notebooks and Studio apps through SSM, from JupyterLab.',
  autoStart: true,
  optional: [ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry | null
  ) => {
    console.log('JupyterLab extension sagemaker-ssh-jupyterlab is activated!');

    if (settingRegistry) {
      settingRegistry
        .load(plugin.id)
        .then(settings => {
          console.log(
            'sagemaker-ssh-jupyterlab settings loaded:',
            settings.composite
          );
        })
        .catch(reason => {
          console.error(
            'Failed to load settings for sagemaker-ssh-jupyterlab.',
            reason
          );
        });
    }
  }
};

export default plugin;
