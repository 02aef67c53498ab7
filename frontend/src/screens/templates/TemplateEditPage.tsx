import { PageHeader } from "../../components/PageHeader";

export function TemplateEditPage() {
  return <PageHeader title="TemplateEditPage" />;
}
