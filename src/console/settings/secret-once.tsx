// A secret the API shows only once (an API key, a webhook signing secret): shown with a copy button.
import { useState } from "react";

export function SecretOnce({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret-once" role="region" aria-label={label}>
      <p>
        <strong>{label}</strong> — copy it now: it won't be shown again.
      </p>
      <code data-testid="secret-value">{value}</code>
      <div className="toolbar">
        <button
          type="button"
          className="primary"
          onClick={() =>
            void navigator.clipboard.writeText(value).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          Copy
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
        <span role="status">{copied ? "Copied to the clipboard" : ""}</span>
      </div>
    </div>
  );
}
