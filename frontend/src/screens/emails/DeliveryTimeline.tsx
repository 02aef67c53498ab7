import type { TimelineEntry } from "../../api/types";
import { DateTime } from "../../components/DateTime";

// The worker's words for each step, in the reader's. "sent" and "failed" are left out on purpose
// so the status badge stays the only "Sent"/"Failed" on the page.
const OUTCOMES: Record<string, string> = {
  submitted: "Submitted",
  started: "Attempt started",
  accepted: "Accepted",
  refused: "Refused",
  suppressed: "Suppressed",
  deferred: "Deferred (temporary failure)",
  retry_scheduled: "Retry scheduled",
  sent: "Delivery finished",
  dead_lettered: "Given up",
  cancelled: "Cancelled",
  expired: "Expired",
};

// The worker notes when it will try again as an ISO instant: shown in the reader's time instead.
function Detail({ outcome, text }: { outcome: string; text: string }) {
  if (outcome === "dead_lettered") return <>{GAVE_UP[text] ?? text}</>;
  const next = /^next attempt at (\S+)$/.exec(text)?.[1];
  if (next === undefined || Number.isNaN(Date.parse(next))) return <>{text}</>;
  return (
    <>
      Next attempt at <DateTime value={next} style="full" />
    </>
  );
}

// Why the worker gave up (a dead letter's reason), for the email's owner.
const GAVE_UP: Record<string, string> = {
  refused: "Every recipient refused it.",
  exhausted: "The attempts were used up.",
  expired: "It expired before it could be delivered.",
  invalid: "The message could not be built.",
  suppressed: "Every recipient left is on your suppression list.",
};

function outcomeLabel(outcome: string): string {
  return OUTCOMES[outcome] ?? outcome.replaceAll("_", " ");
}

export function DeliveryTimeline({ entries }: { entries: TimelineEntry[] }) {
  if (entries.length === 0) {
    return <p className="cell-sub">No delivery attempt yet.</p>;
  }
  return (
    <ol className="timeline">
      {entries.map((entry, index) => (
        <li key={index} className={`outcome-${entry.outcome}`}>
          <p className="timeline-head">
            <strong>{outcomeLabel(entry.outcome)}</strong>
            {entry.recipient != null && <span className="cell-address"> · {entry.recipient}</span>}
          </p>
          <p className="cell-sub">
            {/* Attempt 0 is the submission, before any attempt. */}
            {entry.attempt > 0 && <>Attempt {entry.attempt} · </>}
            <DateTime value={entry.at} style="full" />
          </p>
          {entry.smtp_code != null && (
            <p className="smtp-reply">
              SMTP <code>{entry.smtp_code}</code> {entry.smtp_reply}
            </p>
          )}
          {entry.detail != null && entry.detail !== "" && (
            <p className="cell-sub">
              <Detail outcome={entry.outcome} text={entry.detail} />
            </p>
          )}
        </li>
      ))}
    </ol>
  );
}
