import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, data } from "../../api/client";
import { describe } from "../../api/errors";
import type { WebhookAttempt, WebhookDelivery } from "../../api/types";
import { Button } from "../../components/Button";
import { DateTime } from "../../components/DateTime";
import { Notice, type Outcome } from "../../components/states";
import { deliveryState, eventName } from "./events";

function answerOf(attempt: WebhookAttempt): string {
  if (attempt.status_code === null) return attempt.error ?? "No answer";
  return attempt.error === null ? String(attempt.status_code) : `${attempt.status_code}: ${attempt.error}`;
}

function Attempts({ attempts }: { attempts: WebhookAttempt[] }) {
  return (
    <ol className="attempts">
      {attempts.map((attempt) => (
        <li key={attempt.attempt}>
          <span className="cell-sub">
            Attempt {attempt.attempt}, <DateTime value={attempt.at} />
            {attempt.latency_ms !== null && `, ${Math.round(attempt.latency_ms)} ms`}
          </span>
          <div>
            <code>{answerOf(attempt)}</code>
          </div>
          {attempt.response_excerpt !== null && (
            <pre className="response-excerpt">{attempt.response_excerpt}</pre>
          )}
        </li>
      ))}
    </ol>
  );
}

/** What was sent to an endpoint, each delivery with every attempt and a way to send it again. */
export function DeliveryTable({ endpointId, deliveries }: { endpointId: string; deliveries: WebhookDelivery[] }) {
  const queryClient = useQueryClient();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const resend = useMutation({
    mutationFn: (delivery: WebhookDelivery) =>
      data(
        api.POST("/api/webhooks/{endpoint_id}/resend", {
          params: { path: { endpoint_id: endpointId } },
          body: { event_id: delivery.event_id },
        }),
      ),
    onSuccess: async (_, delivery) => {
      setOutcome({ tone: "success", text: `The ${eventName(delivery.event_type)} event is on its way again.` });
      await queryClient.invalidateQueries({ queryKey: ["webhooks", endpointId] });
    },
    onError: (error) => { setOutcome({ tone: "error", text: describe(error) }); },
  });
  return (
    <>
      {outcome !== null && <Notice tone={outcome.tone}>{outcome.text}</Notice>}
      <ul className="deliveries">
        {deliveries.map((delivery) => (
          <li key={delivery.id} className="delivery">
            <div className="delivery-head">
              <div>
                <span className="cell-main">{eventName(delivery.event_type)}</span>{" "}
                {delivery.recipient !== null && <span className="cell-address">{delivery.recipient}</span>}
                <div className="cell-sub">
                  <DateTime value={delivery.created_at} />
                  {delivery.email_id !== null && (
                    <>
                      {" · "}
                      <Link to={`/emails/${delivery.email_id}`}>the email</Link>
                    </>
                  )}
                </div>
              </div>
              <div>
                <span className={`delivery-state delivery-${delivery.status}`}>{deliveryState(delivery)}</span>
                {delivery.next_attempt_at !== null && delivery.attempts.length > 0 && (
                  <div className="cell-sub">
                    next <DateTime value={delivery.next_attempt_at} />
                  </div>
                )}
              </div>
              <Button
                variant="ghost"
                aria-label={`Re-send the ${eventName(delivery.event_type)} event of ${delivery.created_at}`}
                busy={resend.isPending && resend.variables.id === delivery.id}
                onClick={() => {
                  setOutcome(null);
                  resend.mutate(delivery);
                }}
              >
                Re-send
              </Button>
            </div>
            {delivery.attempts.length > 0 && (
              <details>
                <summary>
                  {delivery.attempts.length === 1 ? "1 attempt" : `${delivery.attempts.length} attempts`}
                </summary>
                <Attempts attempts={delivery.attempts} />
              </details>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
