import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, data } from "../../api/client";
import { isFinal } from "./lifecycle";
import type { EmailListParams } from "./useEmailListParams";

export const PAGE_SIZE = 20;

/** One page of the Sent list; asks again every few seconds while a shown email is still moving. */
export function useEmailList({ page, status, q }: EmailListParams) {
  return useQuery({
    queryKey: ["emails", "list", { page, status, q }],
    queryFn: ({ signal }) =>
      data(
        api.GET("/api/emails", {
          params: {
            query: { page, page_size: PAGE_SIZE, ...(status && { status: [status] }), ...(q && { q }) },
          },
          signal,
        }),
      ),
    // The previous page stays on screen while the next one loads, instead of a spinner flash.
    placeholderData: keepPreviousData,
    refetchInterval: (query) =>
      query.state.data?.items.some((email) => !isFinal(email.status)) ? 3000 : false,
  });
}
