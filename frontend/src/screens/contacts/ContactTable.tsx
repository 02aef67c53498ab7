import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, data } from "../../api/client";
import { describe } from "../../api/errors";
import type { Contact } from "../../api/types";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DateTime } from "../../components/DateTime";
import { Notice, type Outcome } from "../../components/states";
import { EditContactDialog } from "./EditContactDialog";

/** The name to show, when the contact has one (an empty name counts as none). */
function nameOf(contact: Contact): string | null {
  const name = contact.name?.trim() ?? "";
  return name === "" ? null : name;
}

export function ContactTable({ contacts }: { contacts: Contact[] }) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Contact | null>(null);
  const [deleting, setDeleting] = useState<Contact | null>(null);
  const [message, setMessage] = useState<Outcome | null>(null);
  const remove = useMutation({
    mutationFn: (contact: Contact) =>
      data(api.DELETE("/api/contacts/{contact_id}", { params: { path: { contact_id: contact.id } } })),
    onSuccess: async (_, contact) => {
      setDeleting(null);
      setMessage({ tone: "success", text: `Deleted ${contact.email}.` });
      await queryClient.invalidateQueries({ queryKey: ["contacts"] });
    },
    onError: (error) => {
      setDeleting(null);
      setMessage({ tone: "error", text: describe(error) });
    },
  });

  return (
    <>
      {message !== null && <Notice tone={message.tone}>{message.text}</Notice>}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Contact</th>
              <th scope="col" className="hide-narrow">
                Added
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {contacts.map((contact) => (
              <tr key={contact.id}>
                <td>
                  <div className="cell-main">{nameOf(contact) ?? contact.email}</div>
                  {nameOf(contact) !== null && <div className="cell-sub">{contact.email}</div>}
                </td>
                <td className="hide-narrow">
                  <DateTime value={contact.created_at} />
                </td>
                <td className="row-actions">
                  <Button
                    variant="ghost"
                    aria-label={`Edit ${contact.email}`}
                    onClick={() => {
                      setMessage(null);
                      setEditing(contact);
                    }}
                  >
                    Edit
                  </Button>
                  <Button
                    variant="ghost"
                    className="danger-text"
                    aria-label={`Delete ${contact.email}`}
                    onClick={() => {
                      setMessage(null);
                      setDeleting(contact);
                    }}
                  >
                    Delete
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {editing !== null && (
        <EditContactDialog
          contact={editing}
          onClose={(saved) => {
            setEditing(null);
            if (saved !== undefined) setMessage({ tone: "success", text: `Saved ${saved.email}.` });
          }}
        />
      )}
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this contact?"
        confirmLabel="Delete"
        danger
        busy={remove.isPending}
        onConfirm={() => {
          if (deleting !== null) remove.mutate(deleting);
        }}
        onCancel={() => {
          setDeleting(null);
        }}
      >
        <p>
          {deleting?.email} will no longer be suggested in Compose. Emails already sent to it are
          kept.
        </p>
      </ConfirmDialog>
    </>
  );
}
