import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, data } from "../../api/client";
import { ApiError, describe } from "../../api/errors";
import type { Email } from "../../api/types";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { statusLabel } from "../../components/status";
import { canCancel } from "./lifecycle";
import { emailKey } from "./useEmail";

export interface ActionOutcome {
  tone: "success" | "error";
  message: string;
}

const NOTHING_TO_RETRY =
  "Retrying would not help: every recipient refused this email permanently (an SMTP 5xx " +
  "answer), so the same message would be refused again. Check the addresses and send a new email.";

function retryProblem(error: unknown): string {
  if (error instanceof ApiError && error.code === "nothing_to_retry") return NOTHING_TO_RETRY;
  return describe(error);
}

/**
 * A retry goes only to recipients given up on; refusals are final. When every recipient refused,
 * the API would answer 409 `nothing_to_retry`, so the page says so without asking it.
 */
const allRefused = (email: Email) =>
  email.recipients.every((recipient) => recipient.status === "refused");

function cancelProblem(error: unknown, email: Email): string {
  if (error instanceof ApiError && error.code === "wrong_state") {
    return `It can no longer be cancelled: it moved on from “${statusLabel(email.status)}” meanwhile.`;
  }
  return describe(error);
}

/**
 * One idempotency key per failed state of the email: a double click or a resent request retries
 * once, and the next failure (which changes `updated_at`) gets a new key.
 */
const retryKey = (email: Email) => `retry:${email.id}:${email.updated_at}`;

interface EmailActionsProps {
  email: Email;
  onOutcome: (outcome: ActionOutcome | null) => void;
}

export function EmailActions({ email, onOutcome }: EmailActionsProps) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);

  const settled = (fresh: Email) => {
    queryClient.setQueryData(emailKey(email.id), fresh);
    void queryClient.invalidateQueries({ queryKey: ["emails", "list"] });
    void queryClient.invalidateQueries({ queryKey: ["emails", "stats"] });
  };

  const cancel = useMutation({
    mutationFn: () =>
      data(api.POST("/api/emails/{email_id}/cancel", { params: { path: { email_id: email.id } } })),
    onSuccess: (fresh) => {
      settled(fresh);
      setConfirming(false);
      onOutcome({ tone: "success", message: "Cancelled: nothing more will be sent." });
    },
    onError: (error) => {
      setConfirming(false);
      onOutcome({ tone: "error", message: cancelProblem(error, email) });
      void queryClient.invalidateQueries({ queryKey: emailKey(email.id) });
    },
  });

  const retry = useMutation({
    mutationFn: () =>
      data(
        api.POST("/api/emails/{email_id}/retry", {
          params: { path: { email_id: email.id }, header: { "Idempotency-Key": retryKey(email) } },
        }),
      ),
    onSuccess: (fresh) => {
      settled(fresh);
      onOutcome({ tone: "success", message: "Queued again: delivery starts over for the recipients still missing it." });
    },
    onError: (error) => {
      onOutcome({ tone: "error", message: retryProblem(error) });
    },
  });

  if (!canCancel(email.status) && email.status !== "failed") return null;
  return (
    <>
      {canCancel(email.status) && (
        <Button
          variant="danger"
          onClick={() => {
            onOutcome(null);
            setConfirming(true);
          }}
        >
          Cancel sending
        </Button>
      )}
      {email.status === "failed" && (
        <Button
          variant="primary"
          busy={retry.isPending}
          onClick={() => {
            if (allRefused(email)) {
              onOutcome({ tone: "error", message: NOTHING_TO_RETRY });
              return;
            }
            onOutcome(null);
            retry.mutate();
          }}
        >
          Retry
        </Button>
      )}
      <ConfirmDialog
        open={confirming}
        title="Cancel sending this email?"
        confirmLabel="Cancel sending"
        dismissLabel="Keep it"
        danger
        busy={cancel.isPending}
        onConfirm={() => { cancel.mutate(); }}
        onCancel={() => { setConfirming(false); }}
      >
        <p>
          Nothing more will be sent to its recipients; those who already have it keep it. This
          cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
