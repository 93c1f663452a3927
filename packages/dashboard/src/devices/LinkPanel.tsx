import { useEffect, useState, type FormEvent } from 'react';
import type { Device, Qr } from '../api/types';
import { useLiveEvent } from '../events/LiveEventsContext';
import { useT } from '../i18n/I18nContext';
import { connectDevice, disconnectDevice, getQr } from './devices-api';

// WhatsApp renews the QR code every 20 s or so: the device.qr event says so at once; polling
// is a safety net when the event stream is down.
const QR_POLL_MS = 10_000;

/** Linking a device: its QR code (kept current) or, on request, a pairing code for a phone number. */
export function LinkPanel({ device, onClose, onError }: { device: Device; onClose: () => void; onError: (e: unknown) => void }) {
  const t = useT();
  const [qr, setQr] = useState<Qr | null>(null);
  const [pairingCode, setPairingCode] = useState<string | null>(null);
  const [byPhone, setByPhone] = useState(false);
  const [phone, setPhone] = useState('');
  const [busy, setBusy] = useState(false);
  const waitingForQr = !pairingCode && device.status !== 'connected';

  useEffect(() => {
    let cancelled = false;
    connectDevice(device.id)
      .then((answer) => !cancelled && setQr(answer.qr))
      .catch((e: unknown) => !cancelled && onError(e));
    return () => {
      cancelled = true;
    };
    // Connect once per panel: a new QR comes by event or poll, not by connecting again.
  }, [device.id]);

  const refreshQr = () => {
    getQr(device.id)
      .then(setQr)
      .catch(() => undefined);
  };
  useLiveEvent(['device.qr'], (event) => {
    if (event.device_id === device.id && waitingForQr) refreshQr();
  });
  useEffect(() => {
    if (!waitingForQr || device.status !== 'qr') return;
    const timer = setInterval(refreshQr, QR_POLL_MS);
    return () => clearInterval(timer);
  }, [waitingForQr, device.status, device.id]);

  const requestPairing = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      // A connection already showing QR codes would keep doing so: end it, then link by code.
      await disconnectDevice(device.id);
      const answer = await connectDevice(device.id, phone.replace(/\D/g, ''));
      setPairingCode(answer.pairing_code);
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="link-panel" data-testid="link-panel">
      {pairingCode ? (
        <p className="pairing-code" data-testid="pairing-code" data-code={pairingCode}>
          {t('devices.pairingCode', { code: pairingCode })}
        </p>
      ) : qr ? (
        <figure className="qr">
          <img src={qr.png_data_url} alt="QR" data-testid="qr-image" data-qr={qr.text} width={264} height={264} />
          <figcaption>{t('devices.scanQr')}</figcaption>
        </figure>
      ) : (
        <p className="muted">{t('devices.waitingQr')}</p>
      )}
      {!pairingCode &&
        (byPhone ? (
          <form className="row" onSubmit={(e) => void requestPairing(e)}>
            <input
              aria-label={t('devices.pairingNumber')}
              placeholder={t('devices.pairingNumber')}
              inputMode="numeric"
              pattern="[0-9+ ()-]{6,20}"
              required
              value={phone}
              onChange={(e) => setPhone(e.target.value)}
            />
            <button type="submit" disabled={busy}>
              {t('devices.pairingGet')}
            </button>
          </form>
        ) : (
          <button type="button" className="link" onClick={() => setByPhone(true)}>
            {t('devices.pairingOption')}
          </button>
        ))}
      <button type="button" onClick={onClose}>
        {t('devices.close')}
      </button>
    </div>
  );
}
