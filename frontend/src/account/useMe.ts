// The signed-in account as it is now (its address may have been verified since sign-in, in
// another tab or on another device): read from the API, not from the session's copy.
import { useQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { useSession } from "../auth/useSession";

export const ME = ["me"] as const;

export function useMe() {
  const session = useSession();
  return useQuery({
    queryKey: ME,
    queryFn: ({ signal }) => data(api.GET("/api/auth/me", { signal })),
    enabled: session !== null,
  });
}
