import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, data } from "../../api/client";
import { describe } from "../../api/errors";
import type { ListedSuppression, Suppression } from "../../api/types";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DateTime } from "../../components/DateTime";
import { StackTable } from "../../components/StackTable";
import type { Outcome } from "../../components/states";
import { reasonLabel } from "./reasons";

function Why({ suppression }: { suppression: Suppression }) {
  return (
    <>
      {suppression.smtp_code !== null && <code>{suppression.smtp_code}</code>} {suppression.detail}
      {suppression.email_id !== null && (
        <div className="cell-sub">
          <Link to={`/emails/${suppression.email_id}`}>the email</Link>
        </div>
      )}
    </>
  );
}

interface SuppressionTableProps {
  items: (Suppression | ListedSuppression)[];
  /** Operators' view of every sender's list: read only. */
  everyone: boolean;
  /** What a removal came to, told by the page: removing the last address replaces the table. */
  onOutcome: (outcome: Outcome | null) => void;
}

/** Your list, each address with a way off it; or (for operators) everyone's, read only. */
export function SuppressionTable({ items, everyone, onOutcome }: SuppressionTableProps) {
  const queryClient = useQueryClient();
  const [removing, setRemoving] = useState<Suppression | null>(null);
  const remove = useMutation({
    mutationFn: (suppression: Suppression) =>
      data(api.DELETE("/api/suppressions/{address}", { params: { path: { address: suppression.address } } })),
    onSuccess: async (_, suppression) => {
      setRemoving(null);
      onOutcome({ tone: "success", text: `Your emails are sent to ${suppression.address} again.` });
      await queryClient.invalidateQueries({ queryKey: ["suppressions"] });
    },
    onError: (error) => {
      setRemoving(null);
      onOutcome({ tone: "error", text: describe(error) });
    },
  });
  const columns = everyone ? ["Address", "Sender", "Reason", "Since", "Why"] : ["Address", "Reason", "Since", "Why", "Actions"];
  return (
    <>
      <StackTable columns={columns}>
        {items.map((item) => (
          <tr key={"sender_email" in item ? `${item.user_id}:${item.address}` : item.address}>
            <td className="cell-main cell-address">{item.address}</td>
            {"sender_email" in item && <td data-label="Sender" className="cell-address">{item.sender_email}</td>}
            <td data-label="Reason">{reasonLabel(item.reason)}</td>
            <td data-label="Since">
              <DateTime value={item.created_at} />
            </td>
            <td data-label="Why" className="smtp-reply">
              <Why suppression={item} />
            </td>
            {!everyone && (
              <td className="row-actions">
                <Button
                  variant="ghost"
                  className="danger-text"
                  aria-label={`Remove ${item.address}`}
                  onClick={() => {
                    onOutcome(null);
                    setRemoving(item);
                  }}
                >
                  Remove
                </Button>
              </td>
            )}
          </tr>
        ))}
      </StackTable>
      <ConfirmDialog
        open={removing !== null}
        title="Take this address off your list?"
        confirmLabel="Remove"
        busy={remove.isPending}
        onConfirm={() => { if (removing !== null) remove.mutate(removing); }}
        onCancel={() => { setRemoving(null); }}
      >
        <p>
          Your emails will be sent to {removing?.address} again. If its server refuses it for good,
          it comes back on the list by itself.
        </p>
      </ConfirmDialog>
    </>
  );
}
