import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, data } from "../../api/client";
import { PageHeader } from "../../components/PageHeader";
import { Pagination } from "../../components/Pagination";
import { SearchBox } from "../../components/SearchBox";
import { Empty, Failed, Loading } from "../../components/states";
import { AddContactForm } from "./AddContactForm";
import { ContactTable } from "./ContactTable";

const PAGE_SIZE = 20;

export function ContactsPage() {
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const contacts = useQuery({
    queryKey: ["contacts", "list", q, page],
    queryFn: ({ signal }) =>
      data(
        api.GET("/api/contacts", {
          params: { query: { page, page_size: PAGE_SIZE, ...(q === "" ? {} : { q }) } },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <>
      <PageHeader title="Contacts" />
      <div className="contacts-layout">
        <section aria-labelledby="add-contact" className="card contacts-add">
          <h2 id="add-contact">Add a contact</h2>
          <AddContactForm />
        </section>
        <section aria-labelledby="your-contacts" className="contacts-list">
          <h2 id="your-contacts" className="visually-hidden">
            Your contacts
          </h2>
          <div className="toolbar">
            <SearchBox
              value={q}
              hint="Address or name, from the start."
              onSearch={(value) => {
                setQ(value);
                setPage(1);
              }}
            />
          </div>
          {contacts.isPending ? (
            <Loading label="Loading contacts…" />
          ) : contacts.isError ? (
            <Failed error={contacts.error} retry={() => void contacts.refetch()} />
          ) : contacts.data.items.length === 0 ? (
            <Empty title={q === "" ? "No contacts yet" : `No contacts start with “${q}”`}>
              {q === "" && <p>Add the people you write to; Compose suggests them as you type.</p>}
            </Empty>
          ) : (
            <>
              <ContactTable contacts={contacts.data.items} />
              <Pagination
                page={page}
                pageSize={PAGE_SIZE}
                total={contacts.data.total}
                onPage={setPage}
              />
            </>
          )}
        </section>
      </div>
    </>
  );
}
