"""Tracing with OpenTelemetry: W3C trace context in, spans out (OTLP when configured).

A tracer provider is always installed so every request and message has a real trace id that
travels on (HTTP → outbox → Kafka headers → worker) and appears in log lines; spans are recorded
and exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set.

One email's trace: the gateway's span, email-service's request with its database statements
(asyncpg is instrumented: statements, never their parameters), the relay's publish, the worker's
consume with its statements, and the SMTP transaction. Database statements that belong to no
request or message (the relay's polls, readiness checks, periodic jobs) would each start a
trace of their own every few seconds: those are not recorded (`_NotBackgroundWork`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import structlog
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

from eccs.platform.settings import Fragment

_propagator = TraceContextTextMapPropagator()
# Looked up once: asking the provider on every span costs a comparison of its whole cache key.
# A tracer taken before `configure_tracing` follows the provider set then.
_tracer = trace.get_tracer("eccs")


class TelemetrySettings(Fragment):
    otel_exporter_otlp_endpoint: str | None = None


class _NotBackgroundWork(Sampler):
    """Records every trace that starts with a request or a message, none that starts with a
    call out (a database statement outside any request: background polling)."""

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        if kind == SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return ALWAYS_ON.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return "NotBackgroundWork"


def configure_tracing(service: str, settings: TelemetrySettings) -> None:
    resource = Resource.create({"service.name": f"eccs-{service}"})
    if not settings.otel_exporter_otlp_endpoint:
        # Nowhere to send spans, so none is recorded (that would be CPU spent for nothing) and
        # statements are not traced; each request and message still has its trace id, which
        # travels on and names the log lines.
        trace.set_tracer_provider(TracerProvider(resource=resource, sampler=ALWAYS_OFF))
        return
    provider = TracerProvider(resource=resource, sampler=ParentBased(root=_NotBackgroundWork()))
    # Imported here: the exporter pulls in protobuf, which a service without it never needs.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    # Class-wide: every connection of every pool, whoever made it. Statements only, never their
    # parameters (they hold users' addresses and mail).
    AsyncPGInstrumentor(capture_parameters=False).instrument()  # type: ignore[no-untyped-call]


def context_from(carrier: Mapping[str, str]) -> Context:
    """The trace context carried by headers (`traceparent`), or an empty one."""
    return _propagator.extract(carrier=dict(carrier))


def current_trace_id() -> str | None:
    """The active span's trace id (32 hex digits), as Jaeger and the logs show it."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the active span, to pass along with work handed to others."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def span(
    name: str, parent: Context | None, kind: SpanKind, **attributes: str | int
) -> Iterator[Span]:
    """Start a span and bind its trace id to the log lines written inside it."""
    with _tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes) as s:
        trace_id = format(s.get_span_context().trace_id, "032x")
        with structlog.contextvars.bound_contextvars(trace_id=trace_id):
            yield s
