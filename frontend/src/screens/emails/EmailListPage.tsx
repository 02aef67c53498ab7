import { PageHeader } from "../../components/PageHeader";

export function EmailListPage() {
  return <PageHeader title="EmailListPage" />;
}
