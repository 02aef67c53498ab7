import { useId } from "react";
import type { UseFormRegisterReturn } from "react-hook-form";

/** Whether the email carries a one-click unsubscribe link (List-Unsubscribe, RFC 8058). */
export function UnsubscribeOption({ registration, error }: { registration: UseFormRegisterReturn; error?: string | undefined }) {
  const id = useId();
  const describedBy = error === undefined ? `${id}-hint` : `${id}-error ${id}-hint`;
  return (
    <div className={error === undefined ? "field" : "field field-invalid"}>
      <label className="checkbox">
        <input type="checkbox" aria-invalid={error !== undefined} aria-describedby={describedBy} {...registration} />{" "}
        Add a one-click unsubscribe link
      </label>
      {error !== undefined && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
      <p className="field-hint" id={`${id}-hint`}>
        Mail clients show it as “Unsubscribe”; whoever uses it goes on your suppression list.
      </p>
    </div>
  );
}
