import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { api, data } from "../../api/client";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";
import { contactInput, contactRules, type ContactValues } from "./contactValues";

export function AddContactForm() {
  const queryClient = useQueryClient();
  const form = useForm<ContactValues>({ defaultValues: { email: "", name: "" } });
  const { errors } = form.formState;
  const [problem, setProblem] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: (values: ContactValues) =>
      data(api.POST("/api/contacts", { body: contactInput(values) })),
    onSuccess: async (contact) => {
      setAdded(contact.name ?? contact.email);
      form.reset();
      form.setFocus("email");
      await queryClient.invalidateQueries({ queryKey: ["contacts"] });
    },
    onError: (error) => {
      setProblem(showApiErrors(error, form.setError, ["email", "name"]));
    },
  });

  const submit = form.handleSubmit((values) => {
    setProblem(null);
    setAdded(null);
    add.mutate(values);
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <Field label="Email" error={errors.email?.message}>
        {(control) => (
          <input {...control} type="email" autoComplete="off" {...form.register("email", contactRules.email)} />
        )}
      </Field>
      <Field label="Name" hint="Optional.">
        {(control) => <input {...control} autoComplete="off" {...form.register("name")} />}
      </Field>
      {problem !== null && <Notice tone="error">{problem}</Notice>}
      {added !== null && <Notice tone="success">Added {added}.</Notice>}
      <Button type="submit" variant="primary" busy={add.isPending}>
        Add contact
      </Button>
    </form>
  );
}
