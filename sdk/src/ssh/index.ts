/** SSH to targets: keys, key delivery over Run Command, pinned host keys, ssh2 over the data channel, forwards, SFTP. */
export { sshConnect, SshAuthError, type ISshClientOptions } from './client.js';
export {
  defaultUser,
  HostKeyChangedError,
  openMoreSsh,
  openSsh,
  openSshConnections,
  prepareResolved,
  prepareTarget,
  type IOpenSshOptions,
  type IPreparedTarget,
  type IPrepareOptions,
  type ISshConnection
} from './connect.js';
export {
  copyDirection,
  copyFile,
  parseCopyEndpoint,
  sftpOf,
  splitRanges,
  type CopyEndpoint,
  type ICopyOptions,
  type ICopyResult
} from './copy.js';
export { callerCache, Deliveries } from './deliveries.js';
export { JsonRecords } from './json-records.js';
export {
  AUTHORIZED_KEYS,
  AUTHORIZED_KEYS_DIR,
  deliverKey,
  deliveryScript,
  hostKeysFromOutput,
  keyFileName,
  type IDeliveryOptions,
  type IDeliveryResult
} from './delivery.js';
export {
  exportPrefix,
  loginShellCommand,
  runCommand,
  runShell,
  type IChannelIo,
  type ITerminal,
  type SessionEnvironment
} from './exec.js';
export {
  DEFAULT_FORWARDS,
  defaultForwards,
  formatForward,
  parseForward,
  startForwards,
  type IActiveForward,
  type IForwardSpec
} from './forwards.js';
export {
  ensureIdentity,
  fingerprintOf,
  generateEd25519Pair,
  loadIdentity,
  type IIdentity
} from './keys.js';
export {
  blobType,
  hostKeyFingerprint,
  KnownHosts,
  parseHostKey,
  type HostKeyCheck,
  type IHostPublicKey
} from './known-hosts.js';
export {
  configDir,
  ensureConfigDir,
  statePaths,
  type IStatePaths
} from './paths.js';
export {
  BEGIN_MARK,
  configWord,
  defaultSshConfigPath,
  END_MARK,
  sshConfigBlock,
  withBlock,
  writeSshConfig,
  type ISshConfigOptions
} from './ssh-config.js';
