import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, data } from "../../api/client";
import { describe } from "../../api/errors";
import type { ApiKey } from "../../api/types";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DateTime } from "../../components/DateTime";
import type { Outcome } from "../../components/states";
import { scopeLabel } from "./scopes";

/** The keys, each with a way to revoke it; what happened is told by the page (`onOutcome`),
 * since revoking the last key replaces the table. */
export function KeyTable({ keys, onOutcome }: { keys: ApiKey[]; onOutcome: (outcome: Outcome | null) => void }) {
  const queryClient = useQueryClient();
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const revoke = useMutation({
    mutationFn: (key: ApiKey) =>
      data(api.DELETE("/api/auth/keys/{key_id}", { params: { path: { key_id: key.id } } })),
    onSuccess: async (_, key) => {
      setRevoking(null);
      onOutcome({ tone: "success", text: `Revoked “${key.name}”: it no longer works.` });
      await queryClient.invalidateQueries({ queryKey: ["keys"] });
    },
    onError: (error) => {
      setRevoking(null);
      onOutcome({ tone: "error", text: describe(error) });
    },
  });

  return (
    <>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">May</th>
              <th scope="col" className="hide-narrow">
                Last used
              </th>
              <th scope="col" className="hide-narrow">
                Expires
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <td>
                  <div className="cell-main">{key.name}</div>
                  <div className="cell-sub">
                    <code>{key.prefix}…</code> · made <DateTime value={key.created_at} />
                  </div>
                </td>
                <td>
                  <ul className="scope-list">
                    {key.scopes.map((scope) => (
                      <li key={scope}>{scopeLabel(scope)}</li>
                    ))}
                  </ul>
                </td>
                <td className="hide-narrow">
                  {key.last_used_at === null ? "Never" : <DateTime value={key.last_used_at} />}
                </td>
                <td className="hide-narrow">
                  {key.expires_at === null ? "Never" : <DateTime value={key.expires_at} />}
                </td>
                <td className="row-actions">
                  <Button
                    variant="ghost"
                    className="danger-text"
                    aria-label={`Revoke ${key.name}`}
                    onClick={() => {
                      onOutcome(null);
                      setRevoking(key);
                    }}
                  >
                    Revoke
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke"
        dismissLabel="Keep it"
        danger
        busy={revoke.isPending}
        onConfirm={() => {
          if (revoking !== null) revoke.mutate(revoking);
        }}
        onCancel={() => {
          setRevoking(null);
        }}
      >
        <p>
          Programs using “{revoking?.name}” are refused from the moment you revoke it. Emails
          already sent with it keep its name.
        </p>
      </ConfirmDialog>
    </>
  );
}
