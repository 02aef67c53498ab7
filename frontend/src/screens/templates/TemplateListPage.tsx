import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation } from "react-router";
import { api, data } from "../../api/client";
import { DateTime } from "../../components/DateTime";
import { PageHeader } from "../../components/PageHeader";
import { Pagination } from "../../components/Pagination";
import { SearchBox } from "../../components/SearchBox";
import { Empty, Failed, Loading, Notice } from "../../components/states";

const PAGE_SIZE = 20;

/** What the editor hands over when it leaves for the list. */
export interface ListNotice {
  notice?: string;
}

export function TemplateListPage() {
  const location = useLocation();
  const notice = (location.state as ListNotice | null)?.notice;
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const templates = useQuery({
    queryKey: ["templates", "list", q, page],
    queryFn: ({ signal }) =>
      data(
        api.GET("/api/templates", {
          params: { query: { page, page_size: PAGE_SIZE, ...(q === "" ? {} : { q }) } },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <>
      <PageHeader title="Templates">
        <Link className="button button-primary" to="/templates/new">
          New template
        </Link>
      </PageHeader>
      {notice !== undefined && <Notice tone="success">{notice}</Notice>}
      <div className="toolbar">
        <SearchBox
          value={q}
          hint="Template names, from the start."
          onSearch={(value) => {
            setQ(value);
            setPage(1);
          }}
        />
      </div>
      {templates.isPending ? (
        <Loading label="Loading templates…" />
      ) : templates.isError ? (
        <Failed error={templates.error} retry={() => void templates.refetch()} />
      ) : templates.data.items.length === 0 ? (
        q === "" ? (
          <Empty title="No templates yet">
            <p>Write a subject and body once, with {"{{variables}}"} for what changes, and send it from Compose.</p>
            <Link className="button button-primary" to="/templates/new">
              New template
            </Link>
          </Empty>
        ) : (
          <Empty title={`No template names start with “${q}”`} />
        )
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Subject</th>
                  <th scope="col" className="hide-narrow">
                    Changed
                  </th>
                </tr>
              </thead>
              <tbody>
                {templates.data.items.map((template) => (
                  <tr key={template.id}>
                    <td className="cell-main">
                      <Link to={`/templates/${template.id}`}>{template.name}</Link>
                    </td>
                    <td className="cell-clip">{template.subject}</td>
                    <td className="hide-narrow">
                      <DateTime value={template.updated_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={page} pageSize={PAGE_SIZE} total={templates.data.total} onPage={setPage} />
        </>
      )}
    </>
  );
}
