"""Every Prometheus metric ECCS exports, declared once with its help text.

Labels stay low-cardinality: route templates, never raw paths or user ids. docs/metrics.md is
the catalogue (name, type, labels, meaning) a test keeps in step with this module.

A service running several worker processes adds their values up at each scrape (see
platform/http.py); a gauge says how: `livesum` adds the live processes' values, `max` takes the
largest (for figures every process reads from the same table).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "eccs_http_requests_total",
    "HTTP requests answered, by service, method, route template and status code.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "eccs_http_request_duration_seconds",
    "Time to answer an HTTP request, by service, method, route template and status code.",
    ["service", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EMAILS_ACCEPTED = Counter(
    "eccs_emails_accepted_total",
    "Emails accepted by the send API, by whether they were scheduled for later.",
    ["scheduled"],
)
EMAILS_REQUEUED = Counter(
    "eccs_emails_requeued_total",
    "Failed emails queued again with a fresh attempt budget, by why (owner_retry, replay).",
    ["reason"],
)
LOGINS = Counter(
    "eccs_logins_total",
    "Login attempts, by outcome (success, bad_credentials, throttled).",
    ["outcome"],
)
REGISTRATIONS = Counter(
    "eccs_registrations_total",
    "Sign-ups through the API, by outcome (created, address_taken: the address had an account, "
    "throttled).",
    ["outcome"],
)
ACCOUNT_EMAILS = Counter(
    "eccs_account_emails_total",
    "Emails ECCS queued about accounts, by kind (verification, already_registered, "
    "password_reset) and outcome (queued, throttled).",
    ["kind", "outcome"],
)
ACCOUNTS_ERASED = Counter(
    "eccs_accounts_erased_total",
    "Deleted accounts whose emails, templates and contacts email-service erased.",
)
REFRESH_REUSE = Counter(
    "eccs_refresh_token_reuse_total",
    "Refresh tokens presented again after rotation and outside the grace period (family revoked).",
)

# --- notification-service: delivery -------------------------------------------------------------

EMAILS_PROCESSED = Counter(
    "eccs_emails_processed_total",
    "Delivery requests handled by the worker, by what they led to"
    " (sent, retrying, failed, skipped, invalid).",
    ["outcome"],
)
DELIVERY_ATTEMPTS = Counter(
    "eccs_delivery_attempts_total", "SMTP delivery attempts made (one per email per attempt)."
)
RETRIES_SCHEDULED = Counter(
    "eccs_delivery_retries_scheduled_total",
    "Attempts that ended with a temporary failure and a retry scheduled after a backoff.",
)
DEAD_LETTERS = Counter(
    "eccs_dead_letters_total",
    "Records written to eccs.email.dlq, by reason (refused, exhausted, expired, invalid).",
    ["reason"],
)
SMTP_ANSWERS = Counter(
    "eccs_smtp_answers_total",
    "The relay's answers to recipients, by class: 2xx (accepted), 4xx (deferred), 5xx (refused),"
    " none (no answer heard: no connection, a timeout, or a message the relay cannot take).",
    ["class"],
)
DELIVERY_LATENCY = Histogram(
    "eccs_delivery_latency_seconds",
    "Time from the API accepting an email to an SMTP server accepting it (250).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
SMTP_SEND_SECONDS = Histogram(
    "eccs_smtp_send_seconds",
    "Time of one SMTP transaction (all recipients of one attempt).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
AUDIT_WRITE_FAILURES = Counter(
    "eccs_audit_write_failures_total",
    "Audit events that could not be written (delivery went on; the trail has a gap).",
)
HANDLER_FAILURES = Counter(
    "eccs_delivery_handler_failures_total",
    "Messages whose handling failed, by kind: email (its message could not be built or sent;"
    " closed as failed/invalid), message (an unexpected error; closed as failed/invalid),"
    " infrastructure (database or broker; the consumer restarts and the message comes back).",
    ["kind"],
)
CONSUMER_RESTARTS = Counter(
    "eccs_consumer_restarts_total",
    "Times the worker's Kafka consumer was rebuilt after an infrastructure failure.",
)
MESSAGES_IN_FLIGHT = Gauge(
    "eccs_consumer_messages_in_flight",
    "Messages the worker is handling right now.",
    multiprocess_mode="livesum",
)
CONSUMER_LAG = Gauge(
    "eccs_consumer_lag_messages",
    "Messages behind the end of each partition of eccs.email.requested, from the broker's end"
    " offset (wrong on the embedded broker, which misreports end offsets: do not alert there).",
    ["partition"],
    multiprocess_mode="max",
)

# --- email-service: outbox relay ----------------------------------------------------------------

OUTBOX_PUBLISHED = Counter(
    "eccs_outbox_published_total",
    "Outbox records published to Kafka and acknowledged by the broker, by topic.",
    ["topic"],
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "eccs_outbox_publish_failures_total",
    "Outbox publish rounds that failed and were rolled back (their rows are tried again),"
    " by error type.",
    ["error"],
)
OUTBOX_REDELIVERIES = Counter(
    "eccs_outbox_redeliveries_total",
    "Emails published again because they stayed queued or sending past the visibility timeout.",
)
OUTBOX_BACKLOG = Gauge(
    "eccs_outbox_backlog",
    "Outbox rows that are due and not yet published (refreshed every few seconds).",
    multiprocess_mode="max",  # every relay sees the same table
)
OUTBOX_OLDEST_AGE = Gauge(
    "eccs_outbox_oldest_due_age_seconds",
    "Seconds since the oldest due, unpublished outbox row became due (0 when there is none).",
    multiprocess_mode="max",
)
OUTBOX_PUBLISH_LATENCY = Histogram(
    "eccs_outbox_publish_latency_seconds",
    "Time from an outbox row becoming due (available_at) to the broker acknowledging it.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

EMAILS_BY_STATUS = Gauge(
    "eccs_emails_by_status",
    "Emails in each state, all users together (refreshed every few seconds). Those `failed` are"
    " the dead-letter queue: failed for good until an owner retries or an operator replays them.",
    ["status"],
    multiprocess_mode="max",  # every process reads the same counters
)

# --- notification-service: SMTP connections -------------------------------------------------------

SMTP_CONNECTIONS = Counter(
    "eccs_smtp_connections_total",
    "Connections to the SMTP relay, by result (opened, failed). Kept connections are reused,"
    " so opened growing as fast as the send rate means they are being dropped.",
    ["result"],
)


# --- suppressions: notification-service (refusals) and email-service (the rest) -----------------

RECIPIENTS_SUPPRESSED = Counter(
    "eccs_recipients_suppressed_total",
    "Recipients not sent to because their address is on the sender's suppression list.",
)
SUPPRESSIONS_ADDED = Counter(
    "eccs_suppressions_added_total",
    "Addresses put on a sender's suppression list, by reason (refused: counted per refusal"
    " that suppresses, also when the address was listed already; complaint, unsubscribed,"
    " manual).",
    ["reason"],
)

# --- notification-service: the webhook dispatcher -----------------------------------------------

WEBHOOK_ATTEMPTS = Counter(
    "eccs_webhook_attempts_total",
    "Requests to webhook endpoints, by result: delivered (2xx), rejected (any other status),"
    " no_answer (no connection, a timeout), refused (the address is not one ECCS may call).",
    ["result"],
)
WEBHOOK_ATTEMPT_SECONDS = Histogram(
    "eccs_webhook_attempt_seconds",
    "Time of one request to a webhook endpoint, until its answer or its failure.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
WEBHOOK_GIVEN_UP = Counter(
    "eccs_webhook_deliveries_given_up_total",
    "Event deliveries no longer attempted, by reason: expired (failed for the whole retry"
    " window), endpoint_disabled.",
    ["reason"],
)
WEBHOOK_ENDPOINTS_DISABLED = Counter(
    "eccs_webhook_endpoints_disabled_total",
    "Webhook endpoints disabled because every attempt to them failed for the disable window.",
)
WEBHOOK_BACKLOG = Gauge(
    "eccs_webhook_backlog",
    "Event deliveries due and not yet attempted (refreshed every few seconds).",
    multiprocess_mode="max",  # every dispatcher sees the same table
)
WEBHOOK_OLDEST_DUE_AGE = Gauge(
    "eccs_webhook_oldest_due_age_seconds",
    "Seconds since the oldest due event delivery became due (0 when there is none).",
    multiprocess_mode="max",
)
WEBHOOKS_IN_FLIGHT = Gauge(
    "eccs_webhooks_in_flight",
    "Requests to webhook endpoints under way right now.",
    multiprocess_mode="livesum",
)


# --- every process --------------------------------------------------------------------------------

PROCESS_MEMORY = Gauge(
    "eccs_process_resident_memory_bytes",
    "Resident memory of the service's processes, added up over its worker processes.",
    multiprocess_mode="livesum",
)
EVENT_LOOP_LAG = Histogram(
    "eccs_event_loop_lag_seconds",
    "How late the event loop ran a timer: time a request or message waited for the loop"
    " because something held it (CPU-bound work, a blocking call).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
