/**
 * Studio spaces reached through SageMaker remote access (`sagemaker:StartSession` on the space ARN): what a space
 * is to sm-ssh, and a resolution that names a space instead of an SSM managed instance.
 */
import type { IResourceTarget } from '../names/index.js';

/** How a target is reached: an SSM managed instance (the original project's way) or SageMaker remote access. */
export type TargetVia = 'ssm-instance' | 'remote-access';

/** The user AWS's remote-access SSH server logs in (authentication is Session Manager's). */
export const SPACE_USER = 'sagemaker-user';

/** Its home directory; sessions do not set HOME or USER, so the client does. */
export const SPACE_HOME = '/home/sagemaker-user';

/** App types whose spaces offer remote access. */
export const REMOTE_ACCESS_APP_TYPES = ['JupyterLab', 'CodeEditor'] as const;

/** A space as DescribeSpace and ListApps tell it. */
export interface ISpaceInfo {
  domainId: string;
  spaceName: string;
  spaceArn: string;
  /** The space's own status (`InService`, `Pending`, `Updating`, `Failed`, `Deleting`, …). */
  status: string;
  /** `SpaceSettings.AppType` (`JupyterLab`, `CodeEditor`, …), when set. */
  appType?: string;
  /** `SpaceSettings.RemoteAccess`: `ENABLED` or `DISABLED` (absent = DISABLED). */
  remoteAccess: 'ENABLED' | 'DISABLED';
  /** The user profile that owns a private space (`OwnershipSettings.OwnerUserProfileName`). */
  ownerProfile?: string;
  /** `Private` or `Shared` (`SpaceSharingSettings.SharingType`). */
  sharingType?: string;
  /** The space's app of `appType` that is not Deleted, if one exists. */
  app?: {
    appType: string;
    appName: string;
    /** `Pending`, `InService`, `Deleting`, `Failed`. */
    status: string;
    instanceType?: string;
  };
}

/** A target resolved to a space reachable through remote access (the counterpart of IResolvedTarget). */
export interface IResolvedSpace {
  via: 'remote-access';
  /** The target as parsed (kind `space`, or a `studio` app of a space, the fallback). */
  target: IResourceTarget;
  /** Its canonical name, `<space>.<domain>.space.sagemaker`. */
  name: string;
  space: ISpaceInfo;
  /** Spaces have one node. */
  node: 1;
}
