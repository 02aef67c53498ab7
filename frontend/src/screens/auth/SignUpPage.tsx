import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, Navigate, useSearchParams } from "react-router";
import { api, data } from "../../api/client";
import { nextPage } from "../../auth/nextPage";
import { useSession } from "../../auth/useSession";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";
import { EmailField, NewPasswordField } from "../../forms/AccountFields";
import { EMAIL_REQUIRED, NEW_PASSWORD_RULES } from "../../forms/accountRules";
import { useMode } from "../../mode";
import { AuthCard } from "./AuthCard";

interface Registration {
  name: string;
  email: string;
  password: string;
}

/** What sign-up says once it is done: the same whether or not the address had an account. */
function CheckYourInbox({ email }: { email: string }) {
  const mode = useMode();
  return (
    <AuthCard title="Check your inbox">
      <Notice tone="success">
        We sent a message to <strong>{email}</strong>. Follow its link to confirm the address,
        then sign in.
      </Notice>
      <p>
        Until the address is confirmed you can sign in and look around, but not send email. The
        link works for 24 hours; once signed in you can ask for a new one.
      </p>
      {mode === "embedded" && (
        <p className="cell-sub">
          This ECCS runs on this machine: its emails are caught, not delivered. Sign in and open
          Mail catcher to find the message.
        </p>
      )}
      <p>
        <Link to="/sign-in">Sign in</Link>
      </p>
    </AuthCard>
  );
}

export function SignUpPage() {
  const session = useSession();
  const [search] = useSearchParams();
  const [problem, setProblem] = useState<string | null>(null);
  const [registered, setRegistered] = useState<string | null>(null);
  const form = useForm<Registration>({ defaultValues: { name: "", email: "", password: "" } });
  const { errors, isSubmitting } = form.formState;

  if (registered !== null) return <CheckYourInbox email={registered} />;
  if (session !== null && !isSubmitting) return <Navigate to={nextPage(search)} replace />;

  const submit = form.handleSubmit(async (registration) => {
    setProblem(null);
    try {
      const accepted = await data(api.POST("/api/auth/register", { body: registration }));
      setRegistered(accepted.email);
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
        <EmailField
          error={errors.email?.message}
          registration={form.register("email", EMAIL_REQUIRED)}
        />
        <NewPasswordField
          error={errors.password?.message}
          registration={form.register("password", NEW_PASSWORD_RULES)}
        />
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
