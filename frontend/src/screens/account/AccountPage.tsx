import type { ReactNode } from "react";
import { PageHeader } from "../../components/PageHeader";
import { DeleteAccount } from "./DeleteAccount";
import { ExportData } from "./ExportData";
import { NameForm } from "./NameForm";
import { PasswordForm } from "./PasswordForm";

function Part({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="card account-part" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export function AccountPage() {
  return (
    <>
      <PageHeader title="Your account" />
      <Part id="account-name" title="Name">
        <NameForm />
      </Part>
      <Part id="account-password" title="Password">
        <PasswordForm />
      </Part>
      <Part id="account-data" title="Your data">
        <ExportData />
      </Part>
      <Part id="account-delete" title="Delete the account">
        <DeleteAccount />
      </Part>
    </>
  );
}
