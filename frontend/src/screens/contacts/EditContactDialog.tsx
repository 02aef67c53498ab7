import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { api, data } from "../../api/client";
import type { Contact } from "../../api/types";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";
import { contactInput, contactRules, type ContactValues } from "./contactValues";

interface EditContactDialogProps {
  contact: Contact;
  /** Called with the saved contact, or with nothing when the edit was abandoned. */
  onClose: (saved?: Contact) => void;
}

/** Editing in a modal: the list behind it stays as it was, and Escape gives up the change. */
export function EditContactDialog({ contact, onClose }: EditContactDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const queryClient = useQueryClient();
  const form = useForm<ContactValues>({
    defaultValues: { email: contact.email, name: contact.name ?? "" },
  });
  const { errors } = form.formState;
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (values: ContactValues) =>
      data(
        api.PUT("/api/contacts/{contact_id}", {
          params: { path: { contact_id: contact.id } },
          body: contactInput(values),
        }),
      ),
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: ["contacts"] });
      onClose(saved);
    },
    onError: (error) => {
      setProblem(showApiErrors(error, form.setError, ["email", "name"]));
    },
  });

  useEffect(() => {
    const element = dialog.current;
    if (element !== null && !element.open) element.showModal();
  }, []);

  const submit = form.handleSubmit((values) => {
    setProblem(null);
    save.mutate(values);
  });

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="edit-contact-title"
      onCancel={() => {
        onClose();
      }}
    >
      <h2 id="edit-contact-title">Edit contact</h2>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Field label="Email" error={errors.email?.message}>
          {(control) => (
            <input {...control} type="email" autoComplete="off" {...form.register("email", contactRules.email)} />
          )}
        </Field>
        <Field label="Name">
          {(control) => <input {...control} autoComplete="off" {...form.register("name")} />}
        </Field>
        {problem !== null && <Notice tone="error">{problem}</Notice>}
        <div className="dialog-actions">
          <Button
            onClick={() => {
              onClose();
            }}
          >
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save
          </Button>
        </div>
      </form>
    </dialog>
  );
}
