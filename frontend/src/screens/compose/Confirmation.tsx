import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, data } from "../../api/client";
import type { Accepted, EmailStatus } from "../../api/types";
import { Button } from "../../components/Button";
import { DateTime } from "../../components/DateTime";
import { StatusBadge } from "../../components/StatusBadge";

const FINAL: readonly EmailStatus[] = ["sent", "failed", "cancelled"];

function pollEvery(status: EmailStatus | undefined): number | false {
  if (status !== undefined && FINAL.includes(status)) return false;
  // A scheduled email will not move for a while; no need to ask every second.
  return status === "scheduled" ? 15_000 : 1_500;
}

/** What became of the email just sent, kept up to date until its status is final. */
export function Confirmation({ accepted, onAnother }: { accepted: Accepted; onAnother: () => void }) {
  const email = useQuery({
    queryKey: ["emails", accepted.id],
    queryFn: ({ signal }) =>
      data(api.GET("/api/emails/{email_id}", { params: { path: { email_id: accepted.id } }, signal })),
    refetchInterval: (query) => pollEvery(query.state.data?.status ?? accepted.status),
    staleTime: 0,
  });
  const status = email.data?.status ?? accepted.status;
  const scheduledAt = email.data?.scheduled_at ?? accepted.scheduled_at;
  const recipients = accepted.recipients === 1 ? "1 recipient" : `${accepted.recipients} recipients`;

  return (
    <section className="card confirmation" aria-labelledby="confirmation-title">
      <h2 id="confirmation-title">
        {accepted.status === "scheduled" ? "Email scheduled" : "Email accepted"}
      </h2>
      <div role="status" className="confirmation-status">
        <p>
          ECCS accepted your email for {recipients}
          {scheduledAt !== null && accepted.status === "scheduled" && (
            <>
              {" "}and will send it <DateTime value={scheduledAt} style="full" />
            </>
          )}
          .
        </p>
        <p>
          Status: <StatusBadge status={status} />
          {email.data?.last_error != null && status === "failed" && (
            <span className="cell-sub"> {email.data.last_error}</span>
          )}
        </p>
      </div>
      <div className="form-actions">
        <Link className="button button-secondary" to={`/emails/${accepted.id}`}>
          Open the email
        </Link>
        <Button variant="primary" onClick={onAnother}>
          Write another
        </Button>
      </div>
    </section>
  );
}
