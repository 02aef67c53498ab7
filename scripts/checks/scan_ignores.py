"""Every entry of .trivyignore.yaml says why it is ignored and until when (`make ci-check`)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml

IGNORE_FILE = Path(__file__).resolve().parents[2] / ".trivyignore.yaml"
KINDS = ("vulnerabilities", "misconfigurations", "secrets", "licenses")


def problems(ignores: dict[str, Any]) -> list[str]:
    found = []
    for kind in KINDS:
        for number, entry in enumerate(ignores.get(kind) or [], start=1):
            where = f"{kind} #{number} ({entry.get('id', 'no id')})"
            if not entry.get("id"):
                found.append(f"{where}: no id")
            if not str(entry.get("statement", "")).strip():
                found.append(f"{where}: no statement saying why it is ignored")
            if not isinstance(entry.get("expired_at"), date):
                found.append(f"{where}: no expired_at date (YYYY-MM-DD) to look at it again")
    return found


def main() -> int:
    found = problems(yaml.safe_load(IGNORE_FILE.read_text()) or {})
    for problem in found:
        print(f"✗ {IGNORE_FILE.name}: {problem}")
    if not found:
        print(f"✓ {IGNORE_FILE.name}: every ignored finding says why and until when")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
