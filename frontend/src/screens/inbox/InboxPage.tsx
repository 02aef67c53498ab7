import { useState } from "react";
import { PageHeader } from "../../components/PageHeader";
import { Pagination } from "../../components/Pagination";
import { SearchBox } from "../../components/SearchBox";
import { Empty, Failed, Loading, Notice } from "../../components/states";
import { DeleteAll, type DeleteOutcome } from "./DeleteAll";
import { EmbeddedOnly } from "./EmbeddedOnly";
import { InboxTable } from "./InboxTable";
import { PAGE_SIZE, useInbox, useInboxParams } from "./useInbox";

function CaughtMessages() {
  const [params, update] = useInboxParams();
  const inbox = useInbox(params);
  const [notice, setNotice] = useState<DeleteOutcome | null>(null);
  return (
    <>
      <div className="toolbar toolbar-spread">
        <div role="search" aria-label="Search caught mail">
          <SearchBox
            value={params.q}
            placeholder="Sender, recipient, subject or Message-ID"
            onSearch={(q) => { update({ q }); }}
          />
        </div>
        <DeleteAll disabled={(inbox.data?.total ?? 0) === 0} onDone={setNotice} />
      </div>
      {notice !== null && <Notice tone={notice.tone}>{notice.message}</Notice>}
      {inbox.isPending ? (
        <Loading label="Loading caught mail…" />
      ) : inbox.isError ? (
        <Failed error={inbox.error} retry={() => void inbox.refetch()} />
      ) : inbox.data.total === 0 ? (
        <Empty title={params.q === "" ? "No mail caught yet" : "No caught mail matches"}>
          <p>
            {params.q === ""
              ? "Everything ECCS delivers here lands in this list within a second or two."
              : "Try another part of an address, subject or Message-ID."}
          </p>
        </Empty>
      ) : (
        <div aria-busy={inbox.isPlaceholderData}>
          <InboxTable messages={inbox.data.items} />
          <Pagination
            page={params.page}
            pageSize={PAGE_SIZE}
            total={inbox.data.total}
            onPage={(page) => { update({ page }); }}
          />
        </div>
      )}
    </>
  );
}

export function InboxPage() {
  return (
    <>
      <PageHeader title="Mail catcher" />
      <p className="page-intro">
        Every message the embedded SMTP server caught, as the recipients would get it. Nothing here
        left this machine.
      </p>
      <EmbeddedOnly>
        <CaughtMessages />
      </EmbeddedOnly>
    </>
  );
}
