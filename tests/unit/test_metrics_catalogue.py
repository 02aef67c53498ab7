"""docs/metrics.md is the catalogue of every metric: it must say what platform/metrics.py
declares, no more and no less, with the same type and labels."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from eccs.platform import metrics

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
ROW = re.compile(r"^\| `(eccs_\w+)` \| (\w+) \| ([^|]+) \|", re.MULTILINE)
TYPES = {Counter: "counter", Gauge: "gauge", Histogram: "histogram"}


def declared() -> dict[str, tuple[str, set[str]]]:
    found = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            kind = TYPES[type(value)]
            name = value._name + ("_total" if kind == "counter" else "")
            found[name] = (kind, set(value._labelnames))
    return found


def documented() -> dict[str, tuple[str, set[str]]]:
    rows = ROW.findall(CATALOGUE.read_text())
    return {name: (kind, set(re.findall(r"`(\w+)`", labels))) for name, kind, labels in rows}


def test_every_metric_is_in_the_catalogue_with_its_type_and_labels() -> None:
    assert documented() == declared()


def test_the_catalogue_lists_each_metric_once() -> None:
    names = [name for name, *_ in ROW.findall(CATALOGUE.read_text())]
    assert len(names) == len(set(names))
