// The fields the account forms share: an email address, and a new password with its rules
// (forms/accountRules.ts).
import type { UseFormRegisterReturn } from "react-hook-form";
import { Field } from "../components/Field";

interface FieldProps {
  error: string | undefined;
  /** What `form.register(name, rules)` gives. */
  registration: UseFormRegisterReturn;
}

export function EmailField({
  error,
  registration,
  autoComplete = "email",
}: FieldProps & { autoComplete?: string }) {
  return (
    <Field label="Email" error={error}>
      {(control) => <input {...control} type="email" autoComplete={autoComplete} {...registration} />}
    </Field>
  );
}

export function NewPasswordField({
  error,
  registration,
  label = "Password",
}: FieldProps & { label?: string }) {
  return (
    <Field
      label={label}
      error={error}
      hint="10 to 72 characters; not your email address or a common password."
    >
      {(control) => <input {...control} type="password" autoComplete="new-password" {...registration} />}
    </Field>
  );
}
