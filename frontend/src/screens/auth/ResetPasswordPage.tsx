import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, useSearchParams } from "react-router";
import { api, data } from "../../api/client";
import { ApiError } from "../../api/errors";
import { currentSession, endSession } from "../../auth/session";
import { Button } from "../../components/Button";
import { Notice } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";
import { NewPasswordField } from "../../forms/AccountFields";
import { NEW_PASSWORD_RULES } from "../../forms/accountRules";
import { AuthCard } from "./AuthCard";

/** Where the link in the password-reset email leads: a new password, then sign in again. */
export function ResetPasswordPage() {
  const [search] = useSearchParams();
  const token = search.get("token") ?? "";
  const [problem, setProblem] = useState<string | null>(null);
  const [spent, setSpent] = useState(false);
  const [done, setDone] = useState(false);
  const form = useForm<{ password: string }>({ defaultValues: { password: "" } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async ({ password }) => {
    setProblem(null);
    try {
      await data(api.POST("/api/auth/password/reset", { body: { token, password } }));
      // Every sign-in of the account ended, this browser's too.
      if (currentSession() !== null) endSession("signed-out");
      setDone(true);
    } catch (error) {
      setSpent(error instanceof ApiError && error.code === "invalid_link");
      setProblem(showApiErrors(error, form.setError, ["password"]));
    }
  });

  if (done) {
    return (
      <AuthCard title="Password changed">
        <Notice tone="success">
          Your new password is set, and every device was signed out. Sign in with the new one.
        </Notice>
        <p>
          <Link to="/sign-in">Sign in</Link>
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Choose a new password">
      {problem !== null && <Notice tone="error">{problem}</Notice>}
      {spent && (
        <p>
          <Link to="/forgot-password">Ask for a new link</Link>
        </p>
      )}
      <form onSubmit={(event) => void submit(event)} noValidate>
        <NewPasswordField
          label="New password"
          error={errors.password?.message}
          registration={form.register("password", NEW_PASSWORD_RULES)}
        />
        <Button type="submit" variant="primary" busy={isSubmitting}>
          Set the new password
        </Button>
      </form>
    </AuthCard>
  );
}
