// What each scope lets a key do, in the words of the keys page.
import type { Scope } from "../../api/types";

export const SCOPES: { scope: Scope; label: string; adminOnly?: boolean }[] = [
  { scope: "emails:send", label: "Send emails (and retry or cancel them)" },
  { scope: "emails:read", label: "Read emails and statistics" },
  { scope: "templates", label: "Manage templates" },
  { scope: "contacts", label: "Manage contacts" },
  { scope: "suppressions", label: "Manage the suppression list and report complaints" },
  { scope: "webhooks", label: "Manage webhook endpoints and re-send events" },
  { scope: "admin", label: "Operators' API (dead letters, stopping emails)", adminOnly: true },
];

export function scopeLabel(scope: Scope): string {
  return SCOPES.find((entry) => entry.scope === scope)?.label ?? scope;
}
