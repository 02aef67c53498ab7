import { useQuery } from "@tanstack/react-query";
import { useLocation, useParams } from "react-router";
import { api, data } from "../../api/client";
import { PageHeader } from "../../components/PageHeader";
import { Failed, Loading } from "../../components/states";
import { TemplateForm } from "./TemplateForm";

export function TemplateEditPage() {
  const { id } = useParams();
  if (id === undefined) {
    return (
      <>
        <PageHeader title="New template" />
        <TemplateForm />
      </>
    );
  }
  return <EditExisting id={id} />;
}

function EditExisting({ id }: { id: string }) {
  const location = useLocation();
  // A template created a moment ago arrives here from the new-template form.
  const justCreated = (location.state as { saved?: boolean } | null)?.saved === true;
  const template = useQuery({
    queryKey: ["templates", "one", id],
    queryFn: ({ signal }) =>
      data(api.GET("/api/templates/{template_id}", { params: { path: { template_id: id } }, signal })),
  });
  return (
    <>
      <PageHeader title="Edit template" />
      {template.isPending ? (
        <Loading label="Loading the template…" />
      ) : template.isError ? (
        <Failed error={template.error} retry={() => void template.refetch()} />
      ) : (
        <TemplateForm key={id} template={template.data} justCreated={justCreated} />
      )}
    </>
  );
}
