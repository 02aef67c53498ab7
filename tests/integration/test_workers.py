"""A service run with several worker processes (`eccs serve --workers N`) still reports one set
of metrics: whichever worker answers a scrape counts what every worker did."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Service, start_service


@pytest.fixture(scope="module")
def two_workers(
    service_env: dict[str, str], services: dict[str, Service], work_dir: Path
) -> Iterator[Service]:
    env = {**service_env, "AUTH_SERVICE_URL": services["auth"].url}
    (work_dir / "workers").mkdir(exist_ok=True)  # its own log, beside the shared services'
    service = start_service("email", env, work_dir / "workers", "--workers", "2")
    yield service
    service.process.terminate()
    service.process.wait(30)


def health_requests_counted(metrics: str) -> float:
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            if sample.name == "eccs_http_requests_total" and sample.labels["route"] == "/health":
                return sample.value
    return 0.0


def test_every_scrape_counts_the_requests_of_every_worker(two_workers: Service) -> None:
    for _ in range(40):  # a new connection each time, so both workers take some
        assert httpx.get(f"{two_workers.url}/health").status_code == 200

    scrapes = [httpx.get(f"{two_workers.url}/metrics").text for _ in range(6)]

    assert [health_requests_counted(text) for text in scrapes] == [40.0] * 6
