import { PageHeader } from "../../components/PageHeader";

export function InboxMessagePage() {
  return <PageHeader title="InboxMessagePage" />;
}
