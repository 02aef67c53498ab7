import { PageHeader } from "../../components/PageHeader";

export function TemplateListPage() {
  return <PageHeader title="TemplateListPage" />;
}
