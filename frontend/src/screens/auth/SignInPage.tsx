import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { api, data } from "../../api/client";
import { ApiError } from "../../api/errors";
import { nextPage } from "../../auth/nextPage";
import { startSession, takeEndReason } from "../../auth/session";
import { useSession } from "../../auth/useSession";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { EmailField } from "../../forms/AccountFields";
import { EMAIL_REQUIRED } from "../../forms/accountRules";
import { showApiErrors } from "../../forms/apiErrors";
import { AuthCard } from "./AuthCard";

interface Credentials {
  email: string;
  password: string;
}

export function SignInPage() {
  const session = useSession();
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const [ended] = useState(takeEndReason);
  const [problem, setProblem] = useState<string | null>(null);
  const form = useForm<Credentials>({ defaultValues: { email: "", password: "" } });
  const { errors, isSubmitting } = form.formState;

  if (session !== null && !isSubmitting) return <Navigate to={nextPage(search)} replace />;

  const submit = form.handleSubmit(async (credentials) => {
    setProblem(null);
    try {
      startSession(await data(api.POST("/api/auth/login", { body: credentials })));
      void navigate(nextPage(search), { replace: true });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setProblem("Wrong email or password.");
      } else {
        setProblem(showApiErrors(error, form.setError, ["email", "password"]));
      }
    }
  });

  return (
    <AuthCard title="Sign in">
      {ended === "expired" && <Notice>Your session has expired. Sign in to carry on.</Notice>}
      {ended === "deleted" && (
        <Notice tone="success">Your account and everything in it were deleted.</Notice>
      )}
      {problem !== null && <Notice tone="error">{problem}</Notice>}
      <form onSubmit={(event) => void submit(event)} noValidate>
        <EmailField
          error={errors.email?.message}
          registration={form.register("email", EMAIL_REQUIRED)}
          autoComplete="username"
        />
        <Field label="Password" error={errors.password?.message}>
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="current-password"
              {...form.register("password", { required: "Enter your password." })}
            />
          )}
        </Field>
        <Button type="submit" variant="primary" busy={isSubmitting}>
          Sign in
        </Button>
      </form>
      <p>
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        New here? <Link to={{ pathname: "/sign-up", search: search.toString() }}>Create an account</Link>
      </p>
    </AuthCard>
  );
}
