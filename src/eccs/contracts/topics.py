"""Kafka topic names, fixed by ARCHITECTURE.md and shared by producers and consumers."""

EMAIL_REQUESTED = "eccs.email.requested"
EMAIL_DLQ = "eccs.email.dlq"

# Header names; the attempt number and trace context never go into payloads.
ATTEMPT_HEADER = "eccs-attempt"
TRACEPARENT_HEADER = "traceparent"
