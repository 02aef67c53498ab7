import { useState } from "react";
import type { Accepted } from "../../api/types";
import { PageHeader } from "../../components/PageHeader";
import { ComposeForm } from "./ComposeForm";
import { Confirmation } from "./Confirmation";

export function ComposePage() {
  const [accepted, setAccepted] = useState<Accepted | null>(null);
  // Each new email gets a fresh form, and with it a fresh idempotency key.
  const [draft, setDraft] = useState(0);
  return (
    <>
      <PageHeader title="Compose" />
      {accepted === null ? (
        <ComposeForm key={draft} onAccepted={setAccepted} />
      ) : (
        <Confirmation
          accepted={accepted}
          onAnother={() => {
            setAccepted(null);
            setDraft((n) => n + 1);
          }}
        />
      )}
    </>
  );
}
