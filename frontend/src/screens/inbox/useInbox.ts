import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { api, data } from "../../api/client";

export const PAGE_SIZE = 20;

/** Search and page in the URL, as on the Sent list. */
export function useInboxParams() {
  const [search, setSearch] = useSearchParams();
  const params = {
    q: search.get("q") ?? "",
    page: Math.max(1, Number.parseInt(search.get("page") ?? "1", 10) || 1),
  };
  const update = (change: { q?: string; page?: number }) => {
    const next = { ...params, ...change };
    if (change.q !== undefined && change.page === undefined) next.page = 1;
    const query = new URLSearchParams();
    if (next.q !== "") query.set("q", next.q);
    if (next.page > 1) query.set("page", String(next.page));
    setSearch(query);
  };
  return [params, update] as const;
}

/** Caught messages, newest first; asked again every few seconds since mail arrives on its own. */
export function useInbox({ q, page }: { q: string; page: number }) {
  return useQuery({
    queryKey: ["inbox", "list", { q, page }],
    queryFn: ({ signal }) =>
      data(
        api.GET("/api/dev/inbox", {
          params: { query: { page, page_size: PAGE_SIZE, ...(q && { q }) } },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: 4000,
  });
}
