import type { Device } from '../api/types';

interface Props {
  devices: Device[] | null;
  value: string | undefined;
  label: string;
  testId: string;
  onChange(deviceId: string): void;
}

/** The device whose chats or contacts a page shows (nothing while the list loads or is empty). */
export function DevicePicker({ devices, value, label, testId, onChange }: Props) {
  if (!devices || devices.length === 0) return null;
  return (
    <select aria-label={label} data-testid={testId} value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
      {devices.map((d) => (
        <option key={d.id} value={d.id}>
          {d.name}
          {d.phone ? ` (+${d.phone})` : ''}
        </option>
      ))}
    </select>
  );
}
