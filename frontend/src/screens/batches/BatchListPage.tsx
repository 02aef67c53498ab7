import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, data } from "../../api/client";
import { DateTime } from "../../components/DateTime";
import { PageHeader } from "../../components/PageHeader";
import { Pagination } from "../../components/Pagination";
import { StackTable } from "../../components/StackTable";
import { Empty, Failed, Loading } from "../../components/states";

const PAGE_SIZE = 20;

/** The batches programs sent (POST /api/emails/batch), newest first. */
export function BatchListPage() {
  const [page, setPage] = useState(1);
  const batches = useQuery({
    queryKey: ["batches", "list", page],
    queryFn: ({ signal }) =>
      data(api.GET("/api/emails/batches", { params: { query: { page, page_size: PAGE_SIZE } }, signal })),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <PageHeader title="Batches">
        <Link to="/emails">All sent emails</Link>
      </PageHeader>
      {batches.isPending ? (
        <Loading label="Loading your batches…" />
      ) : batches.isError ? (
        <Failed error={batches.error} retry={() => void batches.refetch()} />
      ) : batches.data.items.length === 0 ? (
        <Empty title="No batches yet">
          <p>
            Programs send up to 100 emails at once with <code>POST /api/emails/batch</code>; each
            batch and what became of its emails shows here.
          </p>
        </Empty>
      ) : (
        <>
          <StackTable columns={["Sent", { label: "Emails", numeric: true }, { label: "Accepted", numeric: true }, { label: "Refused", numeric: true }]}>
            {batches.data.items.map((batch) => (
              <tr key={batch.id}>
                <td className="cell-main">
                  <Link to={`/emails/batches/${batch.id}`}>
                    <DateTime value={batch.created_at} />
                  </Link>
                </td>
                <td className="numeric" data-label="Emails">{batch.size}</td>
                <td className="numeric" data-label="Accepted">{batch.accepted}</td>
                <td className="numeric" data-label="Refused">{batch.rejected}</td>
              </tr>
            ))}
          </StackTable>
          <Pagination page={page} pageSize={PAGE_SIZE} total={batches.data.total} onPage={setPage} />
        </>
      )}
    </>
  );
}
