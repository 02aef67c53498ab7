import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, data } from "../../api/client";
import { apiFilters, type DeadLetterParams } from "./useDeadLetterParams";

export const PAGE_SIZE = 20;

export function useDeadLetters(params: DeadLetterParams) {
  const filters = apiFilters(params);
  return useQuery({
    queryKey: ["dlq", { ...filters, page: params.page }],
    queryFn: ({ signal }) =>
      data(
        api.GET("/api/admin/dlq", {
          params: { query: { ...filters, page: params.page, page_size: PAGE_SIZE } },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });
}
