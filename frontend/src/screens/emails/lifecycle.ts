import type { EmailStatus } from "../../api/types";

// Statuses that still change by themselves; a screen showing one keeps asking.
const MOVING: ReadonlySet<EmailStatus> = new Set(["scheduled", "queued", "sending", "retrying"]);

export function isFinal(status: EmailStatus): boolean {
  return !MOVING.has(status);
}

/** Only these can be cancelled (the API answers 409 `wrong_state` for any other). */
export function canCancel(status: EmailStatus): boolean {
  return status === "scheduled" || status === "retrying";
}
