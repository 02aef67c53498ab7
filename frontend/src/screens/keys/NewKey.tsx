import { useState } from "react";
import type { CreatedApiKey } from "../../api/types";
import { Button } from "../../components/Button";

/** A key just made: shown this once, with a way to copy it. */
export function NewKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = () => {
    navigator.clipboard.writeText(created.key).then(
      () => { setCopied(true); },
      () => { setCopied(false); },
    );
  };
  return (
    <section className="notice notice-success new-key" aria-labelledby="new-key-title">
      <h2 id="new-key-title">Your new key “{created.name}”</h2>
      <p>Copy it now: ECCS keeps only a hash of it and cannot show it again.</p>
      <label htmlFor="new-key-value" className="visually-hidden">
        The key
      </label>
      <input
        id="new-key-value"
        className="key-value"
        readOnly
        value={created.key}
        onFocus={(event) => { event.currentTarget.select(); }}
      />
      <p className="new-key-actions">
        <Button onClick={copy}>Copy</Button>
        <Button variant="primary" onClick={onDone}>
          Done
        </Button>
        <span role="status">
          {copied === true && "Copied."}
          {copied === false && "Could not copy: select the key and copy it yourself."}
        </span>
      </p>
    </section>
  );
}
