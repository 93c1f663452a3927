import { CopyButton } from './CopyButton';

/** A secret shown in full (a token just created, a webhook secret), selectable, with a copy button. */
export function Secret({ value, testId, copyLabel, copiedLabel }: { value: string; testId: string; copyLabel: string; copiedLabel: string }) {
  return (
    <div className="secret-value">
      <code data-testid={testId}>{value}</code>
      <CopyButton text={value} label={copyLabel} copiedLabel={copiedLabel} />
    </div>
  );
}
