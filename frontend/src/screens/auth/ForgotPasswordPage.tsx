import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link } from "react-router";
import { api, data } from "../../api/client";
import { Button } from "../../components/Button";
import { Notice } from "../../components/states";
import { EmailField } from "../../forms/AccountFields";
import { EMAIL_REQUIRED } from "../../forms/accountRules";
import { showApiErrors } from "../../forms/apiErrors";
import { AuthCard } from "./AuthCard";

/** Asking for a link to choose a new password; the answer is the same for any address. */
export function ForgotPasswordPage() {
  const [problem, setProblem] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const form = useForm<{ email: string }>({ defaultValues: { email: "" } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async (body) => {
    setProblem(null);
    try {
      setSent((await data(api.POST("/api/auth/password/forgot", { body }))).message);
    } catch (error) {
      setProblem(showApiErrors(error, form.setError, ["email"]));
    }
  });

  if (sent !== null) {
    return (
      <AuthCard title="Check your inbox">
        <Notice tone="success">{sent}</Notice>
        <p>
          <Link to="/sign-in">Back to sign in</Link>
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Forgot your password?">
      <p>Enter your address: we email you a link to choose a new password.</p>
      {problem !== null && <Notice tone="error">{problem}</Notice>}
      <form onSubmit={(event) => void submit(event)} noValidate>
        <EmailField
          error={errors.email?.message}
          registration={form.register("email", EMAIL_REQUIRED)}
        />
        <Button type="submit" variant="primary" busy={isSubmitting}>
          Email me a link
        </Button>
      </form>
      <p>
        <Link to="/sign-in">Back to sign in</Link>
      </p>
    </AuthCard>
  );
}
