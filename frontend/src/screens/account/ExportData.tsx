import { useMutation } from "@tanstack/react-query";
import { api } from "../../api/client";
import { ApiError, describe } from "../../api/errors";
import { Button } from "../../components/Button";
import { Notice } from "../../components/states";

/** The file name the API suggests (Content-Disposition), or a plain one. */
function fileName(response: Response): string {
  const suggested = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "");
  return suggested?.[1] ?? "eccs-export.json";
}

async function download(): Promise<void> {
  const { data: blob, error, response } = await api.GET("/api/account/export", { parseAs: "blob" });
  if (!response.ok || blob === undefined) throw ApiError.from(response, error);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = fileName(response);
  link.click();
  URL.revokeObjectURL(link.href);
}

/** Everything ECCS keeps about the person, as one JSON file. */
export function ExportData() {
  const exporting = useMutation({ mutationFn: download });
  return (
    <>
      <p>
        Your profile, API keys (not the keys themselves), templates, contacts, and every email with
        what each recipient's server answered, as one JSON file.
      </p>
      {exporting.isError && <Notice tone="error">{describe(exporting.error)}</Notice>}
      <Button busy={exporting.isPending} onClick={() => { exporting.mutate(); }}>
        Download your data
      </Button>
    </>
  );
}
