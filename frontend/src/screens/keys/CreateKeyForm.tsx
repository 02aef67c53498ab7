import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { api, data } from "../../api/client";
import type { CreatedApiKey, Scope } from "../../api/types";
import { useSession } from "../../auth/useSession";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";
import { SCOPES } from "./scopes";

interface KeyForm {
  name: string;
  scopes: Scope[];
  /** Days the key works for; "" for no expiry. */
  lifetime: string;
}

const LIFETIMES = [
  { days: "", label: "Never" },
  { days: "30", label: "In 30 days" },
  { days: "90", label: "In 90 days" },
  { days: "365", label: "In a year" },
];

function expiry(days: string): string | null {
  if (days === "") return null;
  return new Date(Date.now() + Number(days) * 86_400_000).toISOString();
}

export function CreateKeyForm({ onCreated }: { onCreated: (key: CreatedApiKey) => void }) {
  const queryClient = useQueryClient();
  const admin = useSession()?.user.role === "admin";
  const [problem, setProblem] = useState<string | null>(null);
  const form = useForm<KeyForm>({ defaultValues: { name: "", scopes: ["emails:send"], lifetime: "" } });
  const { errors } = form.formState;
  const create = useMutation({
    mutationFn: (values: KeyForm) =>
      data(
        api.POST("/api/auth/keys", {
          body: { name: values.name, scopes: values.scopes, expires_at: expiry(values.lifetime) },
        }),
      ),
    onSuccess: async (key) => {
      form.reset();
      onCreated(key);
      await queryClient.invalidateQueries({ queryKey: ["keys"] });
    },
    onError: (error) => {
      setProblem(showApiErrors(error, form.setError, ["name", "scopes"], { expires_at: "lifetime" }));
    },
  });
  const submit = form.handleSubmit((values) => {
    setProblem(null);
    create.mutate(values);
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      {problem !== null && <Notice tone="error">{problem}</Notice>}
      <Field label="Name" error={errors.name?.message} hint="What uses it, e.g. “billing service”.">
        {(control) => (
          <input {...control} {...form.register("name", { required: "Name the key." })} />
        )}
      </Field>
      <fieldset className="fieldset" aria-describedby={errors.scopes ? "key-scopes-error" : undefined}>
        <legend>What it may do</legend>
        {SCOPES.filter((entry) => admin || entry.adminOnly !== true).map((entry) => (
          <label key={entry.scope} className="checkbox">
            <input
              type="checkbox"
              value={entry.scope}
              {...form.register("scopes", {
                validate: (chosen) => chosen.length > 0 || "Choose at least one.",
              })}
            />{" "}
            {entry.label}
          </label>
        ))}
        {errors.scopes?.message !== undefined && (
          <p className="field-error" id="key-scopes-error">
            {errors.scopes.message}
          </p>
        )}
      </fieldset>
      <Field label="Expires" error={errors.lifetime?.message}>
        {(control) => (
          <select {...control} {...form.register("lifetime")}>
            {LIFETIMES.map((lifetime) => (
              <option key={lifetime.days} value={lifetime.days}>
                {lifetime.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Button type="submit" variant="primary" busy={create.isPending}>
        Make the key
      </Button>
    </form>
  );
}
