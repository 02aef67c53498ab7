import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, data } from "../../api/client";
import type { CreatedApiKey } from "../../api/types";
import { PageHeader } from "../../components/PageHeader";
import { Empty, Failed, Loading, Notice, type Outcome } from "../../components/states";
import { CreateKeyForm } from "./CreateKeyForm";
import { KeyTable } from "./KeyTable";
import { NewKey } from "./NewKey";

export function ApiKeysPage() {
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const keys = useQuery({
    queryKey: ["keys"],
    queryFn: ({ signal }) => data(api.GET("/api/auth/keys", { signal })),
  });
  return (
    <>
      <PageHeader title="API keys" />
      <p>
        Programs send email with a key instead of your password:{" "}
        <code>Authorization: Bearer eccs_…</code>. Give each program its own key, with only what
        it needs.
      </p>
      {created !== null && (
        <NewKey
          created={created}
          onDone={() => {
            setCreated(null);
          }}
        />
      )}
      <div className="contacts-layout">
        <section aria-labelledby="make-key" className="card contacts-add">
          <h2 id="make-key">Make a key</h2>
          <CreateKeyForm onCreated={setCreated} />
        </section>
        <section aria-labelledby="your-keys" className="contacts-list">
          <h2 id="your-keys">Your keys</h2>
          {outcome !== null && <Notice tone={outcome.tone}>{outcome.text}</Notice>}
          {keys.isPending ? (
            <Loading label="Loading your keys…" />
          ) : keys.isError ? (
            <Failed error={keys.error} retry={() => void keys.refetch()} />
          ) : keys.data.items.length === 0 ? (
            <Empty title="No keys yet">
              <p>Make one for each program that sends email through ECCS.</p>
            </Empty>
          ) : (
            <KeyTable keys={keys.data.items} onOutcome={setOutcome} />
          )}
        </section>
      </div>
    </>
  );
}
