import { useQuery } from "@tanstack/react-query";
import { api, data } from "../../api/client";

/** The first hundred templates, enough to choose from; the Templates screen searches them all. */
export function useTemplateChoices() {
  return useQuery({
    queryKey: ["templates", "choices"],
    queryFn: ({ signal }) =>
      data(api.GET("/api/templates", { params: { query: { page_size: 100 } }, signal })),
  });
}
