import { Link } from "react-router";
import type { EmailSummary } from "../../api/types";
import { DateTime } from "../../components/DateTime";
import { StatusBadge } from "../../components/StatusBadge";
import { StackTable } from "../../components/StackTable";

function Recipients({ email }: { email: EmailSummary }) {
  const [first] = email.to;
  const others = email.recipients - 1;
  if (first === undefined) return <>{email.recipients} recipients</>;
  return (
    <>
      <span className="cell-address">{first}</span>
      {others > 0 && <span className="cell-sub"> and {others} more</span>}
    </>
  );
}

/** When it went, or when it will: a scheduled email has no sent date yet. */
function When({ email }: { email: EmailSummary }) {
  if (email.sent_at !== null) return <DateTime value={email.sent_at} />;
  if (email.status === "scheduled" && email.scheduled_at !== null) {
    return (
      <>
        <span className="cell-sub">for </span>
        <DateTime value={email.scheduled_at} />
      </>
    );
  }
  return <DateTime value={email.created_at} />;
}

export function EmailTable({ emails }: { emails: EmailSummary[] }) {
  return (
    <StackTable columns={["Subject", "To", "Status", "When", { label: "Attempts", numeric: true }]}>
      {emails.map((email) => (
        <tr key={email.id}>
          <td className="cell-main">
            <Link to={`/emails/${email.id}`}>{email.subject || "(no subject)"}</Link>
            {email.batch_id !== null && (
              <Link className="batch-link" to={`/emails/batches/${email.batch_id}`}>
                in a batch
              </Link>
            )}
          </td>
          <td data-label="To">
            <Recipients email={email} />
          </td>
          <td data-label="Status">
            <StatusBadge status={email.status} />
          </td>
          <td data-label="When">
            <When email={email} />
          </td>
          <td className="numeric" data-label="Attempts">
            {email.attempts}
          </td>
        </tr>
      ))}
    </StackTable>
  );
}
