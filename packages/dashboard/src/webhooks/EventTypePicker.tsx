import { useT } from '../i18n/I18nContext';
import { EVENT_FAMILIES } from './event-types';

/** Which events a webhook receives: all of them (null), or chosen families and types. */
export function EventTypePicker({ value, onChange }: { value: string[] | null; onChange: (value: string[] | null) => void }) {
  const t = useT();
  const chosen = new Set(value ?? []);
  const toggle = (type: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(type);
    else next.delete(type);
    onChange([...next]);
  };
  return (
    <div className="stack wide">
      <label className="check">
        <input type="checkbox" name="all-events" checked={value === null} onChange={(e) => onChange(e.target.checked ? null : [])} />
        {t('webhooks.allEvents')}
      </label>
      {value !== null && (
        <fieldset className="event-choices" data-testid="event-choices">
          <legend>{t('webhooks.chooseEvents')}</legend>
          {EVENT_FAMILIES.map(({ family, types }) => (
            <div key={family}>
              <label className="check">
                <input type="checkbox" value={family} checked={chosen.has(family)} onChange={(e) => toggle(family, e.target.checked)} />
                <strong>{family}</strong>
              </label>
              {types.map((type) => (
                <label key={type} className="check">
                  <input
                    type="checkbox"
                    value={type}
                    disabled={chosen.has(family)}
                    checked={chosen.has(family) || chosen.has(type)}
                    onChange={(e) => toggle(type, e.target.checked)}
                  />
                  {type}
                </label>
              ))}
            </div>
          ))}
        </fieldset>
      )}
    </div>
  );
}
