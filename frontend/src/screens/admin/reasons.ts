import type { DeadLetter } from "../../api/types";

export type Reason = NonNullable<DeadLetter["reason"]>;

// Why the worker gave an email up, in the operator's words.
const REASONS: Record<Reason, string> = {
  refused: "Refused (SMTP 5xx)",
  exhausted: "Attempts used up",
  expired: "Expired",
  invalid: "Invalid message",
  suppressed: "Every recipient suppressed",
};

export const REASON_VALUES = Object.keys(REASONS) as Reason[];

export function reasonLabel(reason: DeadLetter["reason"]): string {
  return reason === null ? "Unknown" : REASONS[reason];
}
