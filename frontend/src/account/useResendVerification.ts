// Asking for a new link to verify the address; what to tell the person either way.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { ApiError, describe } from "../api/errors";
import { ME } from "./useMe";

export function useResendVerification() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => data(api.POST("/api/auth/verify-email/resend")),
    // Verified meanwhile (409), or not: the account's state is worth reading again.
    onSettled: () => queryClient.invalidateQueries({ queryKey: ME }),
  });
}

/** Why a new link was not sent, in words (a 429 says to wait). */
export function resendOutcome(error: unknown): string {
  if (error instanceof ApiError && error.status === 429) {
    return "Several messages went to your address lately: wait a while before asking again.";
  }
  return describe(error);
}
