"""The HTTP cases: wrk against the email service for a fixed time, after a warm-up."""

from __future__ import annotations

from dataclasses import replace

from bench import load, machine, report
from bench.cases import BATCH, HttpCase
from bench.report import Run
from bench.stack import Stack


def run(stack: Stack, case: HttpCase, database: str, workers: int, seconds: float) -> Run:
    tokens = stack.tokens(case.users)
    url = stack.url("email")
    if not case.request.send:
        # A page to read needs emails: on the empty database the user has none unless a send
        # case ran first (the list measured empty pages when run alone). A second of batches
        # gives them about a thousand.
        load.wrk(url, BATCH, tokens, load.THREADS, 1.0, stack.work)
    # Not measured: fills the connection pools and the services' caches.
    load.wrk(url, case.request, tokens, case.clients, max(1.0, seconds / 10), stack.work)
    stack.wait_until_published()
    idle = machine.idle_share()
    report.run_header(case.title, database, workers, idle)
    with machine.measuring(stack.components) as measured:
        outcome = load.wrk(
            url,
            case.request,
            tokens,
            case.clients,
            seconds,
            stack.work,
            started=measured.load_generator,
        )
    # Rates count emails: a batch's answer stands for each of its emails.
    outcome = replace(
        outcome,
        answered=outcome.answered * case.request.emails,
        failed=outcome.failed * case.request.emails,
    )
    result = Run(
        case.name,
        case.title,
        database,
        workers,
        idle,
        outcome,
        measured.usage(),
        case.target,
        case.original,
        unit="send" if case.request.send else "request",
    )
    report.run_result(result)
    return result
