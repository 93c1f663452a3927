import type { SessionSignal } from '../devices/commands.js';
import type { DeviceGroups } from '../whatsapp/groups.js';
import type { MediaDownload, MessageRef, NumberCheck, PresenceState } from '../whatsapp/messages.js';
import type { Fence } from './fence.js';

/** The connections this node holds (the device supervisor), as the cluster's command routing uses them. */
export interface LocalDevices {
  isRunning(deviceId: string): boolean;
  isConnected(deviceId: string): boolean;
  connect(
    tenantId: string,
    deviceId: string,
    fence: Fence,
    options: { pairingPhone?: string | undefined; waitMs?: number | undefined },
  ): Promise<SessionSignal | null>;
  disconnect(tenantId: string, deviceId: string, reason: string): Promise<void>;
  logout(tenantId: string, deviceId: string): Promise<void>;
  suspendTenant(tenantId: string): Promise<void>;
  markRead(deviceId: string, refs: MessageRef[]): Promise<void>;
  checkNumbers(deviceId: string, phones: string[]): Promise<NumberCheck[]>;
  sendPresence(deviceId: string, state: PresenceState, chatJid?: string): Promise<void>;
  reuploadMedia(deviceId: string, ref: MessageRef, download: MediaDownload): Promise<string>;
  groups(deviceId: string): DeviceGroups;
}
