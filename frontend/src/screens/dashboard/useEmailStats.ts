import { useQuery } from "@tanstack/react-query";
import { api, data } from "../../api/client";

/** The counts and series; kept fresh on its own while the dashboard is open, and on focus. */
export function useEmailStats() {
  return useQuery({
    queryKey: ["emails", "stats"],
    queryFn: ({ signal }) => data(api.GET("/api/emails/stats", { signal })),
    refetchInterval: 10_000,
    refetchOnWindowFocus: "always",
  });
}
