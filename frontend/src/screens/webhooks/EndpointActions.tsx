import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { api, data } from "../../api/client";
import { describe } from "../../api/errors";
import type { WebhookEndpoint } from "../../api/types";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ShownOnce } from "../../components/ShownOnce";
import { Notice, type Outcome } from "../../components/states";

/** What the owner can do with an endpoint: try it, rotate its secret, disable or enable it,
 * delete it. */
export function EndpointActions({ endpoint }: { endpoint: WebhookEndpoint }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const path = { params: { path: { endpoint_id: endpoint.id } } };
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["webhooks"] });
  const failed = (error: unknown) => { setOutcome({ tone: "error", text: describe(error) }); };

  const test = useMutation({
    mutationFn: () => data(api.POST("/api/webhooks/{endpoint_id}/test", path)),
    onSuccess: async () => {
      setOutcome({ tone: "success", text: "A test event is on its way: it appears below." });
      await refresh();
    },
    onError: failed,
  });
  const rotate = useMutation({
    mutationFn: () => data(api.POST("/api/webhooks/{endpoint_id}/rotate-secret", path)),
    onSuccess: async (rotated) => {
      setSecret(rotated.secret);
      await refresh();
    },
    onError: failed,
  });
  const toggle = useMutation({
    mutationFn: (enabled: boolean) =>
      data(api.PATCH("/api/webhooks/{endpoint_id}", { ...path, body: { enabled } })),
    onSuccess: async (changed) => {
      setOutcome({
        tone: "success",
        text: changed.enabled ? "Enabled: new events go to it again." : "Disabled: nothing more is sent to it.",
      });
      await refresh();
    },
    onError: failed,
  });
  const remove = useMutation({
    mutationFn: () => data(api.DELETE("/api/webhooks/{endpoint_id}", path)),
    onSuccess: async () => {
      await refresh();
      await navigate("/webhooks");
    },
    onError: (error) => {
      setDeleting(false);
      failed(error);
    },
  });

  return (
    <>
      <div className="button-row">
        <Button onClick={() => { setOutcome(null); test.mutate(); }} busy={test.isPending} disabled={!endpoint.enabled}>
          Send a test event
        </Button>
        <Button onClick={() => { setOutcome(null); rotate.mutate(); }} busy={rotate.isPending}>
          Rotate the secret
        </Button>
        <Button
          onClick={() => { setOutcome(null); toggle.mutate(!endpoint.enabled); }}
          busy={toggle.isPending}
          variant={endpoint.enabled ? "secondary" : "primary"}
        >
          {endpoint.enabled ? "Disable" : "Enable"}
        </Button>
        <Button variant="ghost" className="danger-text" onClick={() => { setDeleting(true); }}>
          Delete
        </Button>
      </div>
      {outcome !== null && <Notice tone={outcome.tone}>{outcome.text}</Notice>}
      {secret !== null && (
        <ShownOnce title="Secret rotated" label="The new signing secret" value={secret} onDone={() => { setSecret(null); }}>
          <p>
            Copy it now. For the next 24 hours requests carry two signatures, by the new secret and
            the previous one, so your endpoint can switch without missing an event.
          </p>
        </ShownOnce>
      )}
      <ConfirmDialog
        open={deleting}
        title="Delete this endpoint?"
        confirmLabel="Delete"
        danger
        busy={remove.isPending}
        onConfirm={() => { remove.mutate(); }}
        onCancel={() => { setDeleting(false); }}
      >
        <p>Nothing more is sent to {endpoint.url}, and its deliveries and attempts are forgotten.</p>
      </ConfirmDialog>
    </>
  );
}
