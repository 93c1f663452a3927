import { useState } from 'react';

/** Copies `text` to the clipboard; says `copiedLabel` for a moment when done. */
export function CopyButton({ text, label, copiedLabel }: { text: string; label: string; copiedLabel: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // No clipboard API (an insecure context): the old way, through a selected text area.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2_000);
  };
  return (
    <button type="button" data-action="copy" onClick={() => void copy()}>
      {copied ? copiedLabel : label}
    </button>
  );
}
