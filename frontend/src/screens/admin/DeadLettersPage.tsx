import { PageHeader } from "../../components/PageHeader";

export function DeadLettersPage() {
  return <PageHeader title="DeadLettersPage" />;
}
