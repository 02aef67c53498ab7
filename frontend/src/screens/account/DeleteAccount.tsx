import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { api, data } from "../../api/client";
import { endSession } from "../../auth/session";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";

/** Deleting the account, with its password and a last question. */
export function DeleteAccount() {
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const form = useForm<{ password: string }>({ defaultValues: { password: "" } });
  const { errors, isSubmitting } = form.formState;

  const remove = form.handleSubmit(async (body) => {
    setProblem(null);
    try {
      await data(api.DELETE("/api/auth/me", { body }));
      endSession("deleted");
      queryClient.clear();
    } catch (error) {
      setAsking(false);
      setProblem(showApiErrors(error, form.setError, ["password"]));
    }
  });
  const ask = form.handleSubmit(() => {
    setAsking(true);
  });

  return (
    <form onSubmit={(event) => void ask(event)} noValidate>
      <p>
        Your emails (those not sent yet are cancelled), templates, contacts and API keys are
        deleted with the account. This cannot be undone: download your data first if you want it.
      </p>
      {problem !== null && <Notice tone="error">{problem}</Notice>}
      <Field label="Your password" error={errors.password?.message}>
        {(control) => (
          <input
            {...control}
            type="password"
            autoComplete="current-password"
            {...form.register("password", { required: "Enter your password to delete the account." })}
          />
        )}
      </Field>
      <Button type="submit" variant="danger">
        Delete my account
      </Button>
      <ConfirmDialog
        open={asking}
        title="Delete your account?"
        confirmLabel="Delete everything"
        dismissLabel="Keep my account"
        danger
        busy={isSubmitting}
        onConfirm={() => void remove()}
        onCancel={() => {
          setAsking(false);
        }}
      >
        <p>The account and everything in it go now, for good.</p>
      </ConfirmDialog>
    </form>
  );
}
