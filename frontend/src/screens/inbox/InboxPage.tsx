import { PageHeader } from "../../components/PageHeader";

export function InboxPage() {
  return <PageHeader title="InboxPage" />;
}
