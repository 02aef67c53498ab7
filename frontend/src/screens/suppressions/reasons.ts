// Why an address is on a suppression list, in the screens' words.
import type { SuppressionReason } from "../../api/types";

const REASONS: Record<SuppressionReason, string> = {
  refused: "Refused by its server",
  complaint: "Complained",
  unsubscribed: "Unsubscribed",
  manual: "Added by hand",
};

export const REASON_VALUES = Object.keys(REASONS) as SuppressionReason[];

export function reasonLabel(reason: SuppressionReason): string {
  return REASONS[reason];
}
