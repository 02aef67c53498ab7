import { Link } from "react-router";
import type { Recipient } from "../../api/types";
import { DateTime } from "../../components/DateTime";
import { StackTable } from "../../components/StackTable";

const OUTCOMES: Record<Recipient["status"], string> = {
  pending: "Waiting",
  accepted: "Accepted",
  refused: "Refused",
  abandoned: "Gave up",
  suppressed: "Suppressed",
};

const KINDS: Record<Recipient["kind"], string> = { to: "To", cc: "Cc", bcc: "Bcc" };

export function RecipientTable({ recipients }: { recipients: Recipient[] }) {
  return (
    <StackTable columns={["Address", "Kind", "Outcome", "Last SMTP reply"]}>
      {recipients.map((recipient) => (
        <tr key={`${recipient.kind}:${recipient.address}`}>
          <td className="cell-main cell-address">{recipient.address}</td>
          <td data-label="Kind">{KINDS[recipient.kind]}</td>
          <td data-label="Outcome">
            <span className={`outcome recipient-${recipient.status}`}>
              {OUTCOMES[recipient.status]}
            </span>
            <div className="cell-sub">
              {recipient.attempts === 1 ? "1 attempt" : `${recipient.attempts} attempts`}
              {recipient.updated_at !== null && (
                <>
                  {", "}
                  <DateTime value={recipient.updated_at} />
                </>
              )}
            </div>
          </td>
          <td className="smtp-reply" data-label="Last SMTP reply">
            {recipient.status === "suppressed" ? (
              <span className="cell-sub">
                Not sent: on your <Link to="/suppressions">suppression list</Link>
              </span>
            ) : recipient.smtp_code === null ? (
              <span className="cell-sub">None yet</span>
            ) : (
              <>
                <code>{recipient.smtp_code}</code> {recipient.smtp_reply}
              </>
            )}
          </td>
        </tr>
      ))}
    </StackTable>
  );
}
