import type { EmailStatus } from "../api/types";
import { statusLabel } from "./status";

/** The status in words and colour (the word carries it; the colour only helps). */
export function StatusBadge({ status }: { status: EmailStatus }) {
  return <span className={`badge badge-${status}`}>{statusLabel(status)}</span>;
}
