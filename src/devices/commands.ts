import type { DeviceGroups } from '../whatsapp/groups.js';
import type { MediaDownload, MessageRef, NumberCheck, PresenceState } from '../whatsapp/messages.js';

/** What connecting reports first: the QR code, the pairing code, the open connection, or why it closed. */
export type SessionSignal = { kind: 'qr'; qr: string } | { kind: 'pairing_code'; code: string } | { kind: 'open' } | { kind: 'closed'; reason: string };

/**
 * What services ask of the worker that holds devices' WhatsApp connections. Services reach it
 * through the bus (`bus.devices()`), never by importing the worker: in a cluster the command
 * runs on the node holding the device (src/cluster/cluster-devices.ts).
 */
export interface DeviceCommands {
  /** Whether a node (this one or another) runs a connection (or a retry) for the device. */
  isRunning(deviceId: string): Promise<boolean>;
  /**
   * Starts the device's connection, or makes a connection waiting to retry try now. When it
   * was not running, waits up to `waitMs` for its first sign (with a pairing phone, for the code).
   */
  connect(tenantId: string, deviceId: string, options: { pairingPhone?: string | undefined; waitMs?: number }): Promise<SessionSignal | null>;
  /** Ends the connection and keeps the session; the device stays disconnected until connected again. */
  disconnect(tenantId: string, deviceId: string, reason: string): Promise<void>;
  /** Unlinks the device from its WhatsApp account and deletes its session. */
  logout(tenantId: string, deviceId: string): Promise<void>;
  /** A suspended tenant's devices disconnect, and come back when it is reactivated. */
  suspendTenant(tenantId: string): Promise<void>;
  resumeTenant(tenantId: string): Promise<void>;
  /** Whether the device is connected now, on whichever node holds it (the actions below need it). */
  isConnected(deviceId: string): Promise<boolean>;
  /** Read receipts, number checks and presence through the device's live connection; 409 when it is not connected. */
  markRead(deviceId: string, refs: MessageRef[]): Promise<void>;
  checkNumbers(deviceId: string, phones: string[]): Promise<NumberCheck[]>;
  sendPresence(deviceId: string, state: PresenceState, chatJid?: string): Promise<void>;
  /** Asks the sender's phone to upload a received file again (WhatsApp expired it); answers its new direct path. */
  reuploadMedia(deviceId: string, ref: MessageRef, download: MediaDownload): Promise<string>;
  /** The group operations of the device's live connection; 409 when it is not connected. */
  groups(deviceId: string): DeviceGroups;
}
