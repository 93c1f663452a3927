import type { Transaction } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import { holdsLease } from './leases-repo.js';

/**
 * A node's hold on one device: its lease's epoch, and until when (this process's clock) the
 * node may act on it without hearing from the database. The keeper moves `validUntil` at each
 * renewal; whoever acts as the holder (the socket, the sender) checks it first, and every write
 * the holder makes carries the epoch (assertHolder), so a node that was paused past its lease
 * neither sends nor writes.
 */
export interface Fence {
  readonly deviceId: string;
  readonly nodeId: string;
  readonly epoch: number;
  validUntil: number;
}

export class LeaseLostError extends Error {
  constructor(fence: Fence) {
    super(`device ${fence.deviceId}: this node (${fence.nodeId}) no longer holds its lease (epoch ${fence.epoch})`);
    this.name = 'LeaseLostError';
  }
}

export const isCurrent = (fence: Fence): boolean => Date.now() < fence.validUntil;

/** In the holder's write transaction: refused (LeaseLostError) once another node took the device. */
export async function assertHolder(trx: Transaction<Database>, dialect: DialectName, fence: Fence): Promise<void> {
  if (!isCurrent(fence) || !(await holdsLease(trx, dialect, fence.deviceId, fence.nodeId, fence.epoch))) throw new LeaseLostError(fence);
}
