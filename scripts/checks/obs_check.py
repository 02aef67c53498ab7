"""Part of `make obs-check` (after promtool and amtool): every alert has a runbook line and unit
tests both firing and not firing; every dashboard panel has a query on the provisioned data
source; deploy/elk holds a well-formed pipeline and template. Exits non-zero with each problem
named."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "deploy" / "prometheus"
DASHBOARDS = REPO / "deploy" / "dashboards"
ELK = REPO / "deploy" / "elk"
# The fields an ECCS log line is searched by (README: "Observability").
SEARCHED_FIELDS = {"service", "level", "event", "request_id", "trace_id", "email_id"}
# Plugins Logstash bundles: the pipeline needs nothing installed beside them.
BUNDLED = {"beats", "json", "date", "mutate", "elasticsearch"}


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


def elk_problems() -> list[str]:
    """What can be checked of deploy/elk without Logstash or Elasticsearch."""
    template = json.loads((ELK / "eccs-logs-template.json").read_text())
    fields = template["template"]["mappings"]["properties"]["eccs"]["properties"]
    problems = [
        f"the index template does not map eccs.{name} as a keyword"
        for name in sorted(SEARCHED_FIELDS)
        if fields.get(name, {}).get("type") != "keyword"
    ]
    pipeline = "\n".join(
        line.split("#", 1)[0] for line in (ELK / "logstash.conf").read_text().splitlines()
    )
    pipeline = re.sub(r"=~ /[^/]*/", "", pipeline)  # a regular expression's braces are its own
    if pipeline.count("{") != pipeline.count("}"):
        problems.append("logstash.conf: its braces do not balance")
    sections = re.findall(r"^(\w+) \{", pipeline, re.MULTILINE)
    if sections != ["input", "filter", "output"]:
        problems.append(f"logstash.conf: sections {sections}, not input, filter, output")
    plugins = set(re.findall(r"^[ \t]+(\w+) \{", pipeline, re.MULTILINE))
    if plugins - BUNDLED:
        problems.append(f"logstash.conf: plugins not bundled with Logstash: {plugins - BUNDLED}")
    if "eccs-logs-template.json" not in pipeline:
        problems.append("logstash.conf does not install the index template")
    return problems


def main() -> int:
    problems = alert_problems() + panel_problems() + elk_problems()
    for problem in problems:
        print(f"obs-check: {problem}", file=sys.stderr)
    if not problems:
        print(
            f"obs-check: {len(alerts())} alerts tested firing and quiet, dashboards and the ELK"
            " pipeline and template well-formed"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
