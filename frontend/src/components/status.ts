import type { EmailStatus } from "../api/types";

const LABELS: Record<EmailStatus, string> = {
  scheduled: "Scheduled",
  queued: "Queued",
  sending: "Sending",
  retrying: "Retrying",
  sent: "Sent",
  failed: "Failed",
  cancelled: "Cancelled",
};

export const STATUSES = Object.keys(LABELS) as EmailStatus[];

export function statusLabel(status: EmailStatus): string {
  return LABELS[status];
}
