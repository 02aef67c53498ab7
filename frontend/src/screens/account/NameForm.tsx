import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { ME } from "../../account/useMe";
import { api, data } from "../../api/client";
import { startSession } from "../../auth/session";
import { useSession } from "../../auth/useSession";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice, type Outcome } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";

/** The name recipients see as the sender's; a change signs out every other device. */
export function NameForm() {
  const queryClient = useQueryClient();
  const name = useSession()?.user.name ?? "";
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const form = useForm<{ name: string }>({ defaultValues: { name } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async (body) => {
    setOutcome(null);
    try {
      const session = await data(api.PATCH("/api/auth/me", { body }));
      startSession(session);
      form.reset({ name: session.user.name });
      await queryClient.invalidateQueries({ queryKey: ME });
      setOutcome({ tone: "success", text: "Saved. Other devices were signed out." });
    } catch (error) {
      const left = showApiErrors(error, form.setError, ["name"]);
      if (left !== null) setOutcome({ tone: "error", text: left });
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      {outcome !== null && <Notice tone={outcome.tone}>{outcome.text}</Notice>}
      <Field
        label="Display name"
        error={errors.name?.message}
        hint="Recipients see it as the sender's name."
      >
        {(control) => (
          <input
            {...control}
            autoComplete="name"
            {...form.register("name", { required: "Enter your name." })}
          />
        )}
      </Field>
      <Button type="submit" busy={isSubmitting}>
        Save the name
      </Button>
    </form>
  );
}
