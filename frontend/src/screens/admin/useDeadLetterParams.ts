import { useSearchParams } from "react-router";
import { REASON_VALUES, type Reason } from "./reasons";

export interface DeadLetterFilters {
  reason: Reason | undefined;
  /** As the datetime-local inputs hold them: local time, no zone. */
  since: string;
  until: string;
}

export interface DeadLetterParams extends DeadLetterFilters {
  page: number;
}

/** A datetime-local value as the instant the API wants; empty or unreadable means no bound. */
export function toInstant(local: string): string | undefined {
  if (local === "") return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The filters as the API's query and replay body take them. */
export function apiFilters({ reason, since, until }: DeadLetterFilters) {
  const from = toInstant(since);
  const to = toInstant(until);
  return {
    ...(reason !== undefined && { reason }),
    ...(from !== undefined && { since: from }),
    ...(to !== undefined && { until: to }),
  };
}

/** Filters and page in the URL, so an operator can reload or share the view. */
export function useDeadLetterParams() {
  const [search, setSearch] = useSearchParams();
  const rawReason = search.get("reason");
  const params: DeadLetterParams = {
    reason: REASON_VALUES.find((candidate) => candidate === rawReason),
    since: search.get("since") ?? "",
    until: search.get("until") ?? "",
    page: Math.max(1, Number.parseInt(search.get("page") ?? "1", 10) || 1),
  };
  const update = (change: Partial<DeadLetterParams>) => {
    const next = { ...params, ...change };
    if (!("page" in change)) next.page = 1;
    const query = new URLSearchParams();
    if (next.reason !== undefined) query.set("reason", next.reason);
    if (next.since !== "") query.set("since", next.since);
    if (next.until !== "") query.set("until", next.until);
    if (next.page > 1) query.set("page", String(next.page));
    setSearch(query);
  };
  return [params, update] as const;
}
