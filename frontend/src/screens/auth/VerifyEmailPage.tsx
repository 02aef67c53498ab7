import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { Link, useSearchParams } from "react-router";
import { ME } from "../../account/useMe";
import { api, data } from "../../api/client";
import { ApiError, describe } from "../../api/errors";
import { useSession } from "../../auth/useSession";
import { Loading, Notice } from "../../components/states";
import { AuthCard } from "./AuthCard";

/** Where the link in the verification email leads: the address is confirmed on arrival. */
export function VerifyEmailPage() {
  const [search] = useSearchParams();
  const token = search.get("token") ?? "";
  const session = useSession();
  const queryClient = useQueryClient();
  const verify = useMutation({
    mutationFn: () => data(api.POST("/api/auth/verify-email", { body: { token } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ME }),
  });
  const { mutate } = verify;
  // Once per visit: a link works once, and React runs effects twice in development.
  const sent = useRef(false);
  useEffect(() => {
    if (token === "" || sent.current) return;
    sent.current = true;
    mutate();
  }, [token, mutate]);

  const onward =
    session === null ? <Link to="/sign-in">Sign in</Link> : <Link to="/">Go to the dashboard</Link>;
  if (token === "") {
    return (
      <AuthCard title="Confirm your address">
        <Notice tone="error">This link is incomplete: open the one in the email again.</Notice>
      </AuthCard>
    );
  }
  if (verify.isSuccess) {
    return (
      <AuthCard title="Address confirmed">
        <Notice tone="success">
          <strong>{verify.data.email}</strong> is confirmed: you can send email now.
        </Notice>
        <p>{onward}</p>
      </AuthCard>
    );
  }
  if (verify.isError) {
    const spent = verify.error instanceof ApiError && verify.error.code === "invalid_link";
    return (
      <AuthCard title="This link does not work">
        <Notice tone="error">{describe(verify.error)}</Notice>
        {spent && (
          <p>
            Links work once, for 24 hours. If your address is not confirmed yet, sign in: the app
            offers to send a new link.
          </p>
        )}
        <p>{onward}</p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Confirm your address">
      <Loading label="Confirming your address…" />
    </AuthCard>
  );
}
