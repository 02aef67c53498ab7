import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { api, data } from "../../api/client";
import { nextPage } from "../../auth/nextPage";
import { startSession } from "../../auth/session";
import { useSession } from "../../auth/useSession";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";
import { AuthCard } from "./AuthCard";

interface Registration {
  name: string;
  email: string;
  password: string;
}

// Passwords are 10 to 72 bytes of UTF-8 (bcrypt's limit); the API also refuses common ones.
const utf8Length = (text: string) => new TextEncoder().encode(text).length;

export function SignUpPage() {
  const session = useSession();
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const [problem, setProblem] = useState<string | null>(null);
  const form = useForm<Registration>({ defaultValues: { name: "", email: "", password: "" } });
  const { errors, isSubmitting } = form.formState;

  if (session !== null && !isSubmitting) return <Navigate to={nextPage(search)} replace />;

  const submit = form.handleSubmit(async (registration) => {
    setProblem(null);
    try {
      startSession(await data(api.POST("/api/auth/register", { body: registration })));
      void navigate(nextPage(search), { replace: true });
    } catch (error) {
      setProblem(showApiErrors(error, form.setError, ["name", "email", "password"]));
    }
  });

  return (
    <AuthCard title="Create an account">
      {problem !== null && <Notice tone="error">{problem}</Notice>}
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Field label="Name" error={errors.name?.message}>
          {(control) => (
            <input
              {...control}
              autoComplete="name"
              {...form.register("name", { required: "Enter your name." })}
            />
          )}
        </Field>
        <Field label="Email" error={errors.email?.message}>
          {(control) => (
            <input
              {...control}
              type="email"
              autoComplete="email"
              {...form.register("email", { required: "Enter your email address." })}
            />
          )}
        </Field>
        <Field
          label="Password"
          error={errors.password?.message}
          hint="10 to 72 characters; not your email address or a common password."
        >
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="new-password"
              {...form.register("password", {
                validate: (value) =>
                  (utf8Length(value) >= 10 && utf8Length(value) <= 72) ||
                  "Use 10 to 72 characters.",
              })}
            />
          )}
        </Field>
        <Button type="submit" variant="primary" busy={isSubmitting}>
          Create account
        </Button>
      </form>
      <p>
        Already have an account?{" "}
        <Link to={{ pathname: "/sign-in", search: search.toString() }}>Sign in</Link>
      </p>
    </AuthCard>
  );
}
