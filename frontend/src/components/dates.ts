// Dates in the user's own locale and time zone; the exact instant on hover and for machines.
const full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const short = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });

export function formatDateTime(iso: string, style: "full" | "short" = "short"): string {
  return (style === "full" ? full : short).format(new Date(iso));
}
