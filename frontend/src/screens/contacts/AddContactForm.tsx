import { useForm } from "react-hook-form";
import { api, data } from "../../api/client";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { useAddForm } from "../../forms/useAddForm";
import { contactInput, contactRules, type ContactValues } from "./contactValues";

export function AddContactForm() {
  const form = useForm<ContactValues>({ defaultValues: { email: "", name: "" } });
  const { errors } = form.formState;
  const { submit, problem, added, busy } = useAddForm({
    form,
    send: (values: ContactValues) => data(api.POST("/api/contacts", { body: contactInput(values) })),
    list: "contacts",
    first: "email",
    fields: ["email", "name"],
    name: (contact) => contact.name ?? contact.email,
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
      <Button type="submit" variant="primary" busy={busy}>
        Add contact
      </Button>
    </form>
  );
}
