import type { DeadLetter } from "../../api/types";
import { DateTime } from "../../components/DateTime";
import { reasonLabel } from "./reasons";
import { StackTable } from "../../components/StackTable";

function Recipients({ letter }: { letter: DeadLetter }) {
  return (
    <ul className="plain-list">
      {letter.recipients.map((recipient) => (
        <li key={`${recipient.kind}:${recipient.address}`}>
          <span className="cell-address">{recipient.address}</span>
          {recipient.kind !== "to" && <span className="cell-sub"> ({recipient.kind})</span>}
          {recipient.smtp_code !== null && (
            <div className="cell-sub smtp-reply">
              <code>{recipient.smtp_code}</code> {recipient.smtp_reply}
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

export function DeadLetterTable({ letters }: { letters: DeadLetter[] }) {
  return (
    <StackTable columns={["Subject", "Owner", "Recipients and last replies", "Reason", "Failed"]}>
      {letters.map((letter) => (
        <tr key={letter.id}>
          <td className="cell-main">{letter.subject || "(no subject)"}</td>
          <td className="cell-address" data-label="Owner">
            {letter.sender_email}
          </td>
          <td data-label="Recipients">
            <Recipients letter={letter} />
          </td>
          <td data-label="Reason">
            {reasonLabel(letter.reason)}
            <div className="cell-sub">
              {letter.attempts === 1 ? "after 1 attempt" : `after ${letter.attempts} attempts`}
            </div>
          </td>
          <td data-label="Failed">{letter.failed_at === null ? "—" : <DateTime value={letter.failed_at} />}</td>
        </tr>
      ))}
    </StackTable>
  );
}
