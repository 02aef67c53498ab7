import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, data } from "../../api/client";
import { describe } from "../../api/errors";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";

export interface DeleteOutcome {
  tone: "success" | "error";
  message: string;
}

export function DeleteAll({ disabled, onDone }: { disabled: boolean; onDone: (outcome: DeleteOutcome) => void }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => data(api.DELETE("/api/dev/inbox")),
    onSettled: () => {
      setConfirming(false);
      void queryClient.invalidateQueries({ queryKey: ["inbox"] });
    },
    onSuccess: () => { onDone({ tone: "success", message: "Every caught message was deleted." }); },
    onError: (error) => { onDone({ tone: "error", message: `Nothing was deleted: ${describe(error)}` }); },
  });
  return (
    <>
      <Button variant="danger" disabled={disabled} onClick={() => { setConfirming(true); }}>
        Delete all
      </Button>
      <ConfirmDialog
        open={confirming}
        title="Delete every caught message?"
        confirmLabel="Delete all"
        danger
        busy={remove.isPending}
        onConfirm={() => { remove.mutate(); }}
        onCancel={() => { setConfirming(false); }}
      >
        <p>The mail catcher forgets them; the emails you sent are not affected.</p>
      </ConfirmDialog>
    </>
  );
}
