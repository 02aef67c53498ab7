import { useId, useState, type ReactNode } from "react";
import { Button } from "./Button";

interface ShownOnceProps {
  title: string;
  /** What it is and why it must be kept now. */
  children: ReactNode;
  /** The secret's name for screen readers ("The key"). */
  label: string;
  value: string;
  onDone: () => void;
}

/** A secret just made (an API key, a webhook's signing secret): shown this once, with a way to
 * copy it. */
export function ShownOnce({ title, children, label, value, onDone }: ShownOnceProps) {
  const id = useId();
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = () => {
    navigator.clipboard.writeText(value).then(
      () => { setCopied(true); },
      () => { setCopied(false); },
    );
  };
  return (
    <section className="notice notice-success new-key" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
      <label htmlFor={`${id}-value`} className="visually-hidden">
        {label}
      </label>
      <input
        id={`${id}-value`}
        className="key-value"
        readOnly
        value={value}
        onFocus={(event) => { event.currentTarget.select(); }}
      />
      <p className="new-key-actions">
        <Button onClick={copy}>Copy</Button>
        <Button variant="primary" onClick={onDone}>
          Done
        </Button>
        <span role="status">
          {copied === true && "Copied."}
          {copied === false && "Could not copy: select it and copy it yourself."}
        </span>
      </p>
    </section>
  );
}
