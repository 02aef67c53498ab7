import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, data } from "../../api/client";
import type { SuppressionReason } from "../../api/types";
import { useSession } from "../../auth/useSession";
import { Field } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { Pagination } from "../../components/Pagination";
import { SearchBox } from "../../components/SearchBox";
import { Empty, Failed, Loading, Notice, type Outcome } from "../../components/states";
import { AddSuppressionForm } from "./AddSuppressionForm";
import { REASON_VALUES, reasonLabel } from "./reasons";
import { SuppressionTable } from "./SuppressionTable";

const PAGE_SIZE = 20;

interface Filter {
  q: string;
  reason: SuppressionReason | "";
  page: number;
}

function useSuppressions(filter: Filter, everyone: boolean) {
  const query = {
    page: filter.page,
    page_size: PAGE_SIZE,
    ...(filter.q === "" ? {} : { q: filter.q }),
    ...(filter.reason === "" ? {} : { reason: filter.reason }),
  };
  return useQuery({
    queryKey: ["suppressions", everyone ? "everyone" : "mine", filter],
    queryFn: ({ signal }) =>
      everyone
        ? data(api.GET("/api/admin/suppressions", { params: { query }, signal }))
        : data(api.GET("/api/suppressions", { params: { query }, signal })),
    placeholderData: keepPreviousData,
  });
}

export function SuppressionsPage() {
  const admin = useSession()?.user.role === "admin";
  const [everyone, setEveryone] = useState(false);
  const [filter, setFilter] = useState<Filter>({ q: "", reason: "", page: 1 });
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const list = useSuppressions(filter, everyone);
  const filtered = filter.q !== "" || filter.reason !== "";
  return (
    <>
      <PageHeader title="Suppressions" />
      <p>
        Addresses your emails are not sent to: a recipient on this list is marked suppressed at
        once, and the others get the email. An address comes here when its server refuses it for
        good, when its owner unsubscribes or complains, or when you add it.
      </p>
      {admin && (
        <div className="tabs" role="tablist" aria-label="Whose list">
          {[false, true].map((all) => (
            <button
              key={String(all)}
              type="button"
              role="tab"
              className="tab"
              aria-selected={everyone === all}
              onClick={() => {
                setEveryone(all);
                setFilter({ ...filter, page: 1 });
              }}
            >
              {all ? "Every sender's" : "Yours"}
            </button>
          ))}
        </div>
      )}
      <div className="contacts-layout">
        {!everyone && (
          <section aria-labelledby="add-suppression" className="card contacts-add">
            <h2 id="add-suppression">Suppress an address</h2>
            <AddSuppressionForm />
          </section>
        )}
        <section aria-labelledby="suppressed" className="contacts-list">
          <h2 id="suppressed" className="visually-hidden">
            Suppressed addresses
          </h2>
          {outcome !== null && <Notice tone={outcome.tone}>{outcome.text}</Notice>}
          <div className="toolbar">
            <SearchBox
              value={filter.q}
              hint="Any part of the address."
              onSearch={(q) => { setFilter({ ...filter, q, page: 1 }); }}
            />
            <Field label="Reason">
              {(control) => (
                <select
                  {...control}
                  value={filter.reason}
                  onChange={(event) => {
                    setFilter({ ...filter, reason: event.target.value as SuppressionReason | "", page: 1 });
                  }}
                >
                  <option value="">Any</option>
                  {REASON_VALUES.map((reason) => (
                    <option key={reason} value={reason}>
                      {reasonLabel(reason)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          {list.isPending ? (
            <Loading label="Loading the suppression list…" />
          ) : list.isError ? (
            <Failed error={list.error} retry={() => void list.refetch()} />
          ) : list.data.items.length === 0 ? (
            <Empty title={filtered ? "No address matches" : "No suppressed addresses"}>
              {!filtered && <p>Your emails go to every address you send them to.</p>}
            </Empty>
          ) : (
            <div aria-busy={list.isPlaceholderData}>
              <SuppressionTable items={list.data.items} everyone={everyone} onOutcome={setOutcome} />
              <Pagination
                page={filter.page}
                pageSize={PAGE_SIZE}
                total={list.data.total}
                onPage={(page) => { setFilter({ ...filter, page }); }}
              />
            </div>
          )}
        </section>
      </div>
    </>
  );
}
