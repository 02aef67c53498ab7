import { useState } from "react";
import { useForm } from "react-hook-form";
import { api, data } from "../../api/client";
import { startSession } from "../../auth/session";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice, type Outcome } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";
import { NewPasswordField } from "../../forms/AccountFields";
import { NEW_PASSWORD_RULES } from "../../forms/accountRules";

interface Change {
  current_password: string;
  new_password: string;
}

/** A new password, with the current one; every other device is signed out. */
export function PasswordForm() {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const form = useForm<Change>({ defaultValues: { current_password: "", new_password: "" } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async (body) => {
    setOutcome(null);
    try {
      startSession(await data(api.POST("/api/auth/password", { body })));
      form.reset();
      setOutcome({ tone: "success", text: "Password changed. Other devices were signed out." });
    } catch (error) {
      const left = showApiErrors(error, form.setError, ["current_password", "new_password"]);
      if (left !== null) setOutcome({ tone: "error", text: left });
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      {outcome !== null && <Notice tone={outcome.tone}>{outcome.text}</Notice>}
      <Field label="Current password" error={errors.current_password?.message}>
        {(control) => (
          <input
            {...control}
            type="password"
            autoComplete="current-password"
            {...form.register("current_password", { required: "Enter your current password." })}
          />
        )}
      </Field>
      <NewPasswordField
        label="New password"
        error={errors.new_password?.message}
        registration={form.register("new_password", NEW_PASSWORD_RULES)}
      />
      <Button type="submit" busy={isSubmitting}>
        Change the password
      </Button>
    </form>
  );
}
