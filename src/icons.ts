/** The extension's icon (sidebar tab, launcher item, settings). */
import { LabIcon } from '@jupyterlab/ui-components';
import sshSvg from '../style/icons/sm-ssh.svg';

export const smSshIcon = new LabIcon({
  name: 'sagemaker-ssh-jupyterlab:ssh',
  svgstr: sshSvg
});
