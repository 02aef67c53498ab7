import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { ReplayResult } from "../../api/types";
import { Button } from "../../components/Button";
import { PageHeader } from "../../components/PageHeader";
import { Pagination } from "../../components/Pagination";
import { Empty, Failed, Loading, Notice } from "../../components/states";
import { DeadLetterFilters } from "./DeadLetterFilters";
import { DeadLetterTable } from "./DeadLetterTable";
import { ReplayDialog } from "./ReplayDialog";
import { useDeadLetterParams } from "./useDeadLetterParams";
import { PAGE_SIZE, useDeadLetters } from "./useDeadLetters";

function replayed({ requeued, matched }: ReplayResult): string {
  const emails = requeued === 1 ? "1 email" : `${requeued.toLocaleString()} emails`;
  const rest = matched - requeued;
  return `Re-queued ${emails}` + (rest > 0 ? `; ${rest.toLocaleString()} more still match.` : ".");
}

export function DeadLettersPage() {
  const [params, update] = useDeadLetterParams();
  const letters = useDeadLetters(params);
  const queryClient = useQueryClient();
  const [replaying, setReplaying] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const total = letters.data?.total ?? 0;
  const filtered = params.reason !== undefined || params.since !== "" || params.until !== "";

  return (
    <>
      <PageHeader title="Dead letters">
        <Button
          variant="primary"
          disabled={total === 0}
          onClick={() => {
            setNotice(null);
            setReplaying(true);
          }}
        >
          Replay
        </Button>
      </PageHeader>
      <p className="page-intro">
        Emails whose delivery was given up, the latest failure first. Replaying queues them again
        for the recipients that did not get them.
      </p>
      {notice !== null && <Notice tone="success">{notice}</Notice>}
      <DeadLetterFilters filters={params} onChange={update} />
      {letters.isPending ? (
        <Loading label="Loading dead letters…" />
      ) : letters.isError ? (
        <Failed error={letters.error} retry={() => void letters.refetch()} />
      ) : letters.data.total === 0 ? (
        <Empty title={filtered ? "No dead letter matches" : "No dead letters"}>
          <p>{filtered ? "Nothing failed with this reason in this time." : "Every email was delivered or is still on its way."}</p>
        </Empty>
      ) : (
        <div aria-busy={letters.isPlaceholderData}>
          <DeadLetterTable letters={letters.data.items} />
          <Pagination
            page={params.page}
            pageSize={PAGE_SIZE}
            total={letters.data.total}
            onPage={(page) => { update({ page }); }}
          />
        </div>
      )}
      <ReplayDialog
        open={replaying}
        filters={params}
        matching={total}
        onClose={() => { setReplaying(false); }}
        onDone={(result) => {
          setReplaying(false);
          setNotice(replayed(result));
          void queryClient.invalidateQueries({ queryKey: ["dlq"] });
          void queryClient.invalidateQueries({ queryKey: ["emails"] });
        }}
      />
    </>
  );
}
