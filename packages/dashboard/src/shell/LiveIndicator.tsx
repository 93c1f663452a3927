import { useLiveState } from '../events/LiveEventsContext';
import { useT } from '../i18n/I18nContext';

/** Whether live updates are flowing (the event stream is open). */
export function LiveIndicator() {
  const t = useT();
  const state = useLiveState();
  return (
    <span className={`live live-${state}`} data-testid="live-state" data-state={state}>
      {t(`live.${state}`)}
    </span>
  );
}
