import { useCallback } from 'react';
import { useI18n } from '../i18n/I18nContext';

/** Formats an RFC 3339 time in the dashboard's language (date and time, local zone); null as a dash. */
export function useFormatTime(): (value: string | null | undefined) => string {
  const { language } = useI18n();
  return useCallback(
    (value) => {
      if (!value) return '—';
      const date = new Date(value);
      return Number.isNaN(date.getTime()) ? value : date.toLocaleString(language, { dateStyle: 'short', timeStyle: 'medium' });
    },
    [language],
  );
}
