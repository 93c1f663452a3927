// @wuts/wa-emulator: a WhatsApp Web server emulator for unmodified Baileys clients.
// The public API; everything else in the package is internal. The libsignal console guard
// is also on its own subpath, @wuts/wa-emulator/libsignal-log-guard, which loads nothing else.

export { startEmulator, type EmulatorOptions, type RunningEmulator } from './emulator.js';
export { EmulatorConfigError } from './admin/access.js';
export { EMULATOR_USAGE, parseEmulatorArgs, runEmulatorCli } from './cli.js';
export { startTestEmulator, type TestEmulator } from './testing.js';
export {
  EmulatorAdminClient,
  EmulatorAdminError,
  type AccountMessages,
  type ActionAnswer,
  type AdminAnswer,
  type EmulatorAccount,
  type EmulatorAdminClientOptions,
  type EmulatorDevice,
  type EmulatorInfo,
  type GroupMessageBody,
  type GroupRecordView,
  type GroupUpdate,
  type JoinAnswer,
  type JoinRequestRecord,
  type ParticipantOutcome,
  type PrivacyRecord,
  type MediaFile,
  type MediaRecord,
  type QueuedStanzaRecord,
  type ReachoutTimelockRecord,
  type ReceivedRecord,
  type SendMessageBody,
  type SentRecord,
  type TrafficRecord,
  type DeviceConnectionsRecord,
  type ConnectionsReport,
} from './admin/client.js';
export { mediaTrust, type MediaTrust } from './media/trust.js';
export { guardLibsignalConsole, isLibsignalSecretLog } from './libsignal-log-guard.js';
export { makeMemoryAuthState, cloneAuth, type MemoryAuthState } from './phone/auth-state.js';
export type { SerializedAuth } from './model.js';
