import { useQuery } from "@tanstack/react-query";
import { api, data } from "../../api/client";
import { isFinal } from "./lifecycle";

export const emailKey = (id: string) => ["emails", "detail", id] as const;

/** One email with its recipients and timeline, asked again every 1.5 s until its status is final. */
export function useEmail(id: string) {
  return useQuery({
    queryKey: emailKey(id),
    queryFn: ({ signal }) =>
      data(api.GET("/api/emails/{email_id}", { params: { path: { email_id: id } }, signal })),
    refetchInterval: (query) => {
      const email = query.state.data;
      return email !== undefined && !isFinal(email.status) ? 1500 : false;
    },
  });
}
