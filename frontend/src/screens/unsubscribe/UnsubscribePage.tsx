import { useMutation } from "@tanstack/react-query";
import { useParams } from "react-router";
import { api, data } from "../../api/client";
import { ApiError, describe } from "../../api/errors";
import { Button } from "../../components/Button";
import { Notice } from "../../components/states";
import { AuthCard } from "../auth/AuthCard";

/** Where a recipient lands from an email's unsubscribe link (GET /api/unsubscribe/... sends
 * people here): it asks before it unsubscribes, so a link checker opening it changes nothing.
 * Mail clients with one-click unsubscribe POST to the link themselves and never come here. */
export function UnsubscribePage() {
  const { token = "" } = useParams();
  const unsubscribe = useMutation({
    mutationFn: () => data(api.POST("/api/unsubscribe/{token}", { params: { path: { token } } })),
  });
  if (unsubscribe.isSuccess) {
    return (
      <AuthCard title="You are unsubscribed">
        <Notice tone="success">
          <strong>{unsubscribe.data.address}</strong> will get no more email from{" "}
          {unsubscribe.data.sender} through ECCS.
        </Notice>
      </AuthCard>
    );
  }
  const unknown = unsubscribe.error instanceof ApiError && unsubscribe.error.status === 404;
  return (
    <AuthCard title="Unsubscribe">
      <p>Stop getting emails from this sender? Nothing else is needed: no account, no sign-in.</p>
      {unsubscribe.isError && (
        <Notice tone="error">
          {unknown ? "This unsubscribe link is not known: open the one in the email again." : describe(unsubscribe.error)}
        </Notice>
      )}
      <Button variant="primary" busy={unsubscribe.isPending} onClick={() => { unsubscribe.mutate(); }}>
        Unsubscribe
      </Button>
    </AuthCard>
  );
}
