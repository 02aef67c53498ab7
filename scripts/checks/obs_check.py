"""Part of `make obs-check` (after promtool and amtool): every alert has a runbook line and unit
tests both firing and not firing; every dashboard panel has a query on the provisioned data
source. Exits non-zero with each problem named."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "deploy" / "prometheus"
DASHBOARDS = REPO / "deploy" / "dashboards"


def alerts() -> dict[str, dict[str, object]]:
    found = {}
    for path in sorted((PROMETHEUS / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    found[rule["alert"]] = rule
    return found


def tested() -> tuple[set[str], set[str]]:
    """The alerts some test expects to fire, and those some test expects to stay quiet."""
    firing, quiet = set(), set()
    for path in sorted((PROMETHEUS / "tests").glob("*.test.yml")):
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
    return firing, quiet


def alert_problems() -> list[str]:
    rules = alerts()
    firing, quiet = tested()
    problems = [
        f"alert {name} has no runbook line"
        for name, rule in rules.items()
        if not rule.get("annotations", {}).get("runbook")
    ]  # type: ignore[union-attr]
    problems += [f"alert {name} has no test where it fires" for name in rules if name not in firing]
    problems += [
        f"alert {name} has no test where it stays quiet" for name in rules if name not in quiet
    ]
    return problems


def panel_problems() -> list[str]:
    provisioned = yaml.safe_load((DASHBOARDS / "provisioning" / "datasources.yml").read_text())
    uids = {source["uid"] for source in provisioned["datasources"]}
    problems = []
    boards = sorted(DASHBOARDS.glob("*.json"))
    if not boards:
        problems.append("no dashboard in deploy/dashboards")
    for path in boards:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            where = f"{path.name}: panel {panel['title']!r}"
            targets = panel.get("targets") or []
            if not targets or not all(target.get("expr") for target in targets):
                problems.append(f"{where} has no query")
            if {target["datasource"]["uid"] for target in targets} - uids:
                problems.append(f"{where} uses a data source that is not provisioned")
    return problems


def main() -> int:
    problems = alert_problems() + panel_problems()
    for problem in problems:
        print(f"obs-check: {problem}", file=sys.stderr)
    if not problems:
        print(f"obs-check: {len(alerts())} alerts tested firing and quiet, dashboards well-formed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
