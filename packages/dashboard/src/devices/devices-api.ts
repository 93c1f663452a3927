import { api } from '../api/client';
import type { Device, Qr } from '../api/types';

export const listDevices = () => api<{ devices: Device[] }>('GET', '/devices?limit=100').then((a) => a.devices);
export const getDevice = (id: string) => api<{ device: Device }>('GET', `/devices/${id}`).then((a) => a.device);
export const createDevice = (name: string) => api<{ device: Device }>('POST', '/devices', { name }).then((a) => a.device);
export const deleteDevice = (id: string) => api('DELETE', `/devices/${id}`);
export const disconnectDevice = (id: string) => api<{ device: Device }>('POST', `/devices/${id}/disconnect`).then((a) => a.device);
export const logoutDevice = (id: string) => api<{ device: Device }>('POST', `/devices/${id}/logout`).then((a) => a.device);
export const getQr = (id: string) => api<{ qr: Qr }>('GET', `/devices/${id}/qr`).then((a) => a.qr);

export interface ConnectAnswer {
  device: Device;
  qr: Qr | null;
  pairing_code: string | null;
}

/** Starts linking: answers the QR code, or a pairing code when a phone number is given. */
export const connectDevice = (id: string, phoneNumber?: string) =>
  api<ConnectAnswer>('POST', `/devices/${id}/connect`, phoneNumber ? { phone_number: phoneNumber } : {});
