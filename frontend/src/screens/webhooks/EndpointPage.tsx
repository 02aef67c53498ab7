import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, data } from "../../api/client";
import type { WebhookEndpoint } from "../../api/types";
import { Button } from "../../components/Button";
import { DateTime } from "../../components/DateTime";
import { PageHeader } from "../../components/PageHeader";
import { Pagination } from "../../components/Pagination";
import { Empty, Failed, Loading, Notice } from "../../components/states";
import { DeliveryTable } from "./DeliveryTable";
import { EndpointActions } from "./EndpointActions";
import { EndpointForm } from "./EndpointForm";
import { endpointValues } from "./endpointValues";
import { endpointState, eventName } from "./events";

const PAGE_SIZE = 20;
// Attempts come and go on their own: the page follows them.
const REFRESH_MS = 3000;

function Standing({ endpoint }: { endpoint: WebhookEndpoint }) {
  if (endpoint.disabled_reason === "failing") {
    return (
      <Notice tone="error">
        Disabled on <DateTime value={endpoint.disabled_at ?? endpoint.updated_at} />: every request
        failed since <DateTime value={endpoint.failing_since ?? endpoint.updated_at} />. Fix the
        endpoint, enable it, and re-send the events it missed.
      </Notice>
    );
  }
  if (!endpoint.enabled) return <Notice>Disabled: nothing is sent to it until you enable it.</Notice>;
  if (endpoint.failing_since !== null) {
    return (
      <Notice tone="error">
        Failing since <DateTime value={endpoint.failing_since} /> ({endpoint.consecutive_failures}{" "}
        failures in a row). ECCS keeps trying; after a day of nothing but failures it disables
        the endpoint and emails you.
      </Notice>
    );
  }
  return null;
}

function Facts({ endpoint }: { endpoint: WebhookEndpoint }) {
  const state = endpointState(endpoint);
  return (
    <dl className="facts">
      <div>
        <dt>URL</dt>
        <dd className="cell-address">{endpoint.url}</dd>
      </div>
      <div>
        <dt>State</dt>
        <dd>
          <span className={`badge badge-${state.tone}`}>{state.word}</span>
        </dd>
      </div>
      <div>
        <dt>Events</dt>
        <dd>{endpoint.events.map(eventName).join(", ")}</dd>
      </div>
      <div>
        <dt>Last delivered</dt>
        <dd>{endpoint.last_success_at === null ? "Not yet" : <DateTime value={endpoint.last_success_at} style="full" />}</dd>
      </div>
      {endpoint.previous_secret_expires_at !== null && (
        <div>
          <dt>Previous secret</dt>
          <dd>
            signs too until <DateTime value={endpoint.previous_secret_expires_at} style="full" />
          </dd>
        </div>
      )}
    </dl>
  );
}

function EditEndpoint({ endpoint, onDone }: { endpoint: WebhookEndpoint; onDone: () => void }) {
  const queryClient = useQueryClient();
  return (
    <section className="card" aria-labelledby="edit-endpoint">
      <h2 id="edit-endpoint">Change the endpoint</h2>
      <EndpointForm
        initial={endpointValues(endpoint)}
        submitLabel="Save"
        save={(body) =>
          data(api.PATCH("/api/webhooks/{endpoint_id}", { params: { path: { endpoint_id: endpoint.id } }, body }))
        }
        onSaved={async () => {
          await queryClient.invalidateQueries({ queryKey: ["webhooks"] });
          onDone();
        }}
      />
      <Button variant="ghost" onClick={onDone}>
        Keep it as it is
      </Button>
    </section>
  );
}

export function EndpointPage() {
  const { id = "" } = useParams();
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState(false);
  const path = { path: { endpoint_id: id } };
  const endpoint = useQuery({
    queryKey: ["webhooks", id, "endpoint"],
    queryFn: ({ signal }) => data(api.GET("/api/webhooks/{endpoint_id}", { params: path, signal })),
    refetchInterval: REFRESH_MS,
  });
  const deliveries = useQuery({
    queryKey: ["webhooks", id, "deliveries", page],
    queryFn: ({ signal }) =>
      data(
        api.GET("/api/webhooks/{endpoint_id}/deliveries", {
          params: { ...path, query: { page, page_size: PAGE_SIZE } },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: REFRESH_MS,
  });

  if (endpoint.isPending) return <Loading label="Loading the endpoint…" />;
  if (endpoint.isError) return <Failed error={endpoint.error} retry={() => void endpoint.refetch()} />;
  return (
    <>
      <PageHeader title={endpoint.data.description ?? "Webhook endpoint"}>
        <Link to="/webhooks">All endpoints</Link>
        {!editing && <Button onClick={() => { setEditing(true); }}>Change</Button>}
      </PageHeader>
      <Standing endpoint={endpoint.data} />
      <Facts endpoint={endpoint.data} />
      {editing && <EditEndpoint endpoint={endpoint.data} onDone={() => { setEditing(false); }} />}
      <EndpointActions endpoint={endpoint.data} />
      <section aria-labelledby="deliveries">
        <h2 id="deliveries">Deliveries</h2>
        {deliveries.isPending ? (
          <Loading label="Loading its deliveries…" />
        ) : deliveries.isError ? (
          <Failed error={deliveries.error} retry={() => void deliveries.refetch()} />
        ) : deliveries.data.items.length === 0 ? (
          <Empty title="Nothing sent to it yet">
            <p>Events appear here as your emails are delivered; a test event shows it works.</p>
          </Empty>
        ) : (
          <>
            <DeliveryTable endpointId={id} deliveries={deliveries.data.items} />
            <Pagination page={page} pageSize={PAGE_SIZE} total={deliveries.data.total} onPage={setPage} />
          </>
        )}
      </section>
    </>
  );
}
