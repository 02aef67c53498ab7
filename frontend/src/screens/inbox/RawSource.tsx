import { useQuery } from "@tanstack/react-query";
import { api, data } from "../../api/client";
import { Failed, Loading } from "../../components/states";

/** The message as received; asked for only when this view is first opened (it can be large). */
export function RawSource({ id }: { id: string }) {
  const raw = useQuery({
    queryKey: ["inbox", "raw", id],
    queryFn: ({ signal }) =>
      data(
        api.GET("/api/dev/inbox/{message_id}/raw", {
          params: { path: { message_id: id } },
          parseAs: "text",
          signal,
        }),
      ),
    staleTime: Infinity,
  });
  if (raw.isPending) return <Loading label="Loading the raw source…" />;
  if (raw.isError) return <Failed error={raw.error} retry={() => void raw.refetch()} />;
  return <pre className="raw-source">{raw.data}</pre>;
}
