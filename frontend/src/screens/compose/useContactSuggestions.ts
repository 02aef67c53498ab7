import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, data } from "../../api/client";
import type { Contact } from "../../api/types";
import { useDebouncedValue } from "../../components/useDebouncedValue";

const NONE: Contact[] = [];

/** Contacts whose address or name starts with what is typed, asked for once typing pauses. */
export function useContactSuggestions(typed: string): Contact[] {
  const prefix = useDebouncedValue(typed.trim(), 250);
  const query = useQuery({
    queryKey: ["contacts", "suggestions", prefix],
    queryFn: ({ signal }) =>
      data(api.GET("/api/contacts", { params: { query: { q: prefix, page_size: 8 } }, signal })),
    enabled: prefix !== "",
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  // Suggestions are a convenience: while they fail, typing an address still works.
  return prefix === "" ? NONE : (query.data?.items ?? NONE);
}
