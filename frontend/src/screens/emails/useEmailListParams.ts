import { useSearchParams } from "react-router";
import type { EmailStatus } from "../../api/types";
import { STATUSES } from "../../components/status";

export interface EmailListParams {
  page: number;
  status: EmailStatus | undefined;
  q: string;
}

/**
 * The Sent list's filter, search and page live in the URL, so reload, back and shared links show
 * the same list. Defaults are left out of the URL: `/emails?status=failed` stays as it was typed.
 */
export function useEmailListParams() {
  const [search, setSearch] = useSearchParams();
  const rawStatus = search.get("status");
  const status = STATUSES.find((candidate) => candidate === rawStatus);
  const page = Math.max(1, Number.parseInt(search.get("page") ?? "1", 10) || 1);
  const params: EmailListParams = { page, status, q: search.get("q") ?? "" };

  const update = (change: Partial<EmailListParams>) => {
    const next = { ...params, ...change };
    // A new filter or search starts again at the first page.
    if ("status" in change || "q" in change) next.page = change.page ?? 1;
    const query = new URLSearchParams();
    if (next.status !== undefined) query.set("status", next.status);
    if (next.q !== "") query.set("q", next.q);
    if (next.page > 1) query.set("page", String(next.page));
    setSearch(query);
  };
  return [params, update] as const;
}
