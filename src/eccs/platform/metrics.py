"""Every Prometheus metric ECCS exports, declared once with its help text.

Labels stay low-cardinality: route templates, never raw paths or user ids.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
LOGINS = Counter(
    "eccs_logins_total",
    "Login attempts, by outcome (success, bad_credentials, throttled).",
    ["outcome"],
)
REFRESH_REUSE = Counter(
    "eccs_refresh_token_reuse_total",
    "Refresh tokens presented again after rotation and outside the grace period (family revoked).",
)

# --- notification-service: SMTP connections -------------------------------------------------------

SMTP_CONNECTIONS = Counter(
    "eccs_smtp_connections_total",
    "Connections to the SMTP relay, by result (opened, failed). Kept connections are reused,"
    " so opened growing as fast as the send rate means they are being dropped.",
    ["result"],
)
