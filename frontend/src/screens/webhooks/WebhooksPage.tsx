import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, data } from "../../api/client";
import type { CreatedWebhookEndpoint } from "../../api/types";
import { DateTime } from "../../components/DateTime";
import { PageHeader } from "../../components/PageHeader";
import { ShownOnce } from "../../components/ShownOnce";
import { StackTable } from "../../components/StackTable";
import { Empty, Failed, Loading } from "../../components/states";
import { AddEndpoint } from "./AddEndpoint";
import { endpointState, eventName } from "./events";

export function WebhooksPage() {
  const [created, setCreated] = useState<CreatedWebhookEndpoint | null>(null);
  const endpoints = useQuery({
    queryKey: ["webhooks", "list"],
    queryFn: ({ signal }) =>
      data(api.GET("/api/webhooks", { params: { query: { page_size: 100 } }, signal })),
  });
  return (
    <>
      <PageHeader title="Webhooks" />
      <p>
        ECCS tells your programs what became of each email: every event is POSTed as JSON, signed
        the <a href="https://www.standardwebhooks.com/">Standard Webhooks</a> way with the
        endpoint's secret, and sent again with growing pauses for a day until your endpoint
        answers 2xx.
      </p>
      {created !== null && (
        <ShownOnce
          title={`Signing secret for ${created.url}`}
          label="The signing secret"
          value={created.secret}
          onDone={() => { setCreated(null); }}
        >
          <p>
            Copy it now: your endpoint checks each request's <code>webhook-signature</code> with
            it, and ECCS cannot show it again (you can rotate it for a new one).
          </p>
        </ShownOnce>
      )}
      <div className="contacts-layout">
        <section aria-labelledby="add-endpoint" className="card contacts-add">
          <h2 id="add-endpoint">Add an endpoint</h2>
          <AddEndpoint onCreated={setCreated} />
        </section>
        <section aria-labelledby="your-endpoints" className="contacts-list">
          <h2 id="your-endpoints">Your endpoints</h2>
          {endpoints.isPending ? (
            <Loading label="Loading your endpoints…" />
          ) : endpoints.isError ? (
            <Failed error={endpoints.error} retry={() => void endpoints.refetch()} />
          ) : endpoints.data.items.length === 0 ? (
            <Empty title="No endpoints yet">
              <p>Add one to hear of each email sent, deferred, failed or suppressed.</p>
            </Empty>
          ) : (
            <StackTable columns={["Endpoint", "Events", "State", "Last delivered"]}>
              {endpoints.data.items.map((endpoint) => {
                const state = endpointState(endpoint);
                return (
                  <tr key={endpoint.id}>
                    <td className="cell-main">
                      <Link className="cell-address" to={`/webhooks/${endpoint.id}`}>
                        {endpoint.url}
                      </Link>
                      {endpoint.description !== null && (
                        <div className="cell-sub">{endpoint.description}</div>
                      )}
                    </td>
                    <td data-label="Events">{endpoint.events.map(eventName).join(", ")}</td>
                    <td data-label="State">
                      <span className={`badge badge-${state.tone}`}>{state.word}</span>
                    </td>
                    <td data-label="Last delivered">
                      {endpoint.last_success_at === null ? (
                        <span className="cell-sub">Not yet</span>
                      ) : (
                        <DateTime value={endpoint.last_success_at} />
                      )}
                    </td>
                  </tr>
                );
              })}
            </StackTable>
          )}
        </section>
      </div>
    </>
  );
}
