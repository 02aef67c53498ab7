import { Link } from "react-router";
import { Button } from "../../components/Button";
import { PageHeader } from "../../components/PageHeader";
import { Pagination } from "../../components/Pagination";
import { Empty, Failed, Loading } from "../../components/states";
import { EmailFilters } from "./EmailFilters";
import { EmailTable } from "./EmailTable";
import { PAGE_SIZE, useEmailList } from "./useEmailList";
import { useEmailListParams } from "./useEmailListParams";

export function EmailListPage() {
  const [params, update] = useEmailListParams();
  const list = useEmailList(params);
  const filtered = params.status !== undefined || params.q !== "";

  return (
    <>
      <PageHeader title="Sent">
        <Link className="button" to="/emails/batches">
          Batches
        </Link>
        <Link className="button button-primary" to="/compose">
          Compose
        </Link>
      </PageHeader>
      <EmailFilters params={params} onChange={update} />
      {list.isPending ? (
        <Loading label="Loading your emails…" />
      ) : list.isError ? (
        <Failed error={list.error} retry={() => void list.refetch()} />
      ) : list.data.total === 0 && filtered ? (
        <Empty title="No email matches">
          <p>Nothing sent matches this status or search.</p>
          <Button onClick={() => { update({ status: undefined, q: "" }); }}>Show every email</Button>
        </Empty>
      ) : list.data.total === 0 ? (
        <Empty title="No email yet">
          <p>
            What you send appears here. <Link to="/compose">Compose your first email</Link>.
          </p>
        </Empty>
      ) : list.data.items.length === 0 ? (
        // A page past the end (the list shrank, or an old link).
        <Empty title="Nothing on this page">
          <Button onClick={() => { update({ page: 1 }); }}>Go to the first page</Button>
        </Empty>
      ) : (
        <div aria-busy={list.isPlaceholderData}>
          <EmailTable emails={list.data.items} />
          <Pagination
            page={params.page}
            pageSize={PAGE_SIZE}
            total={list.data.total}
            onPage={(page) => { update({ page }); }}
          />
        </div>
      )}
    </>
  );
}
