import { PageHeader } from "../../components/PageHeader";

export function ContactsPage() {
  return <PageHeader title="ContactsPage" />;
}
