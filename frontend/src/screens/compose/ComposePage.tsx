import { PageHeader } from "../../components/PageHeader";

export function ComposePage() {
  return <PageHeader title="ComposePage" />;
}
