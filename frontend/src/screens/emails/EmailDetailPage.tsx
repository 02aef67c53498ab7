import { PageHeader } from "../../components/PageHeader";

export function EmailDetailPage() {
  return <PageHeader title="EmailDetailPage" />;
}
