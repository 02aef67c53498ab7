"""The mail catcher's failure rules (`ECCS_DEV_SMTP_RULES`) and the attempt counts they need.

Syntax: rules separated by commas, each `domain=CODE[ TEXT][xN]`:

    fail.test=550                          refuse every recipient at fail.test with 550
    flaky.test=451x2                       451 for the first two attempts, 250 from the third on
    grey.test=451 4.7.1 greylisted x2      the same, with the reply text the client will see
    down.test=421 4.3.2 down for upkeep    a reply text, every attempt

- `domain` matches itself and every subdomain (`fail.test` covers `eu.fail.test`); when several
  rules match, the longest domain wins, so `ok.fail.test=250` carves an exception out.
- `CODE` is a three-digit SMTP reply code, 2xx, 4xx or 5xx.
- `TEXT` is optional (a plain text naming the rule is used otherwise) and cannot hold a comma.
- `xN` limits the reply to the first N attempts; later attempts get 250. It follows the code
  directly (`451x2`) or, after a text, comes last as its own word (`... greylisted x2`).
- An empty value means no rules: every recipient is accepted.

Where the count lives, and why per recipient: ARCHITECTURE.md counts attempts per (Message-ID,
recipient), but SMTP answers each recipient at RCPT, before DATA has carried the message, so the
Message-ID cannot be known when the answer is due. Answering at DATA instead is no way out: SMTP
has a single DATA reply per transaction (only LMTP answers per recipient there), so one flaky
recipient would defer its ordinary co-recipients too. And a transaction whose recipients are all
refused never reaches DATA, so its Message-ID is never seen at all.

So `RecipientGate` answers at RCPT and counts, per recipient address, the attempts a counted
rule has refused since a message was last caught for that address; catching one closes the
count. ECCS's worker sends each attempt of an email as one transaction to the recipients still
pending, with the same Message-ID every time, so while an address has one email in flight this
count is the (Message-ID, recipient) count: `@flaky.test` gets 451 on its first two attempts and
250 on the third, and the next email to the address starts again. Two emails in flight to the
same counted address at once share one count; give them different addresses (any local part
works: `a@flaky.test`, `b@flaky.test`) when that matters. Counts live in memory and start again
when the catcher does.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from eccs.platform.settings import ConfigError

DEFAULT_RULES = "fail.test=550,flaky.test=451x2,down.test=451"
VARIABLE = "ECCS_DEV_SMTP_RULES"

_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
_CODE = re.compile(r"(?P<code>[245]\d\d)(?:x(?P<times>\d*))?")
_TRAILING_COUNT = re.compile(r"x(?P<times>\d+)")
_EXAMPLES = "flaky.test=451x2 or grey.test=451 4.7.1 greylisted x2"


@dataclass(frozen=True)
class Reply:
    """An SMTP reply: the code and the text after it."""

    code: int
    text: str

    @property
    def accepted(self) -> bool:
        return 200 <= self.code < 300

    def line(self) -> str:
        return f"{self.code} {self.text}"


ACCEPTED = Reply(250, "2.1.5 OK")


@dataclass(frozen=True)
class Rule:
    domain: str
    reply: Reply
    times: int | None = None  # only the first `times` attempts get `reply`; None: every attempt

    @property
    def counted(self) -> bool:
        return self.times is not None

    def covers(self, domain: str) -> bool:
        return domain == self.domain or domain.endswith("." + self.domain)

    def reply_to(self, attempt: int) -> Reply:
        """The answer to the attempt numbered `attempt` (the first is 1)."""
        if self.times is not None and attempt > self.times:
            return ACCEPTED
        return self.reply


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Rules:
        """Rules from the `ECCS_DEV_SMTP_RULES` syntax; a ConfigError names any bad rule."""
        rules = tuple(_parse_rule(entry.strip()) for entry in text.split(",") if entry.strip())
        _refuse_duplicates(rules)
        return cls(rules)

    def rule_for(self, recipient: str) -> Rule | None:
        """The most specific rule covering the recipient's domain, if any."""
        domain = domain_of(recipient)
        covering = [rule for rule in self.rules if rule.covers(domain)]
        return max(covering, key=lambda rule: len(rule.domain), default=None)

    def answer(self, recipient: str, attempt: int) -> Reply:
        """The answer to the recipient's attempt numbered `attempt` (the first is 1)."""
        rule = self.rule_for(recipient)
        return rule.reply_to(attempt) if rule else ACCEPTED


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().rstrip(".").lower()


def _parse_rule(entry: str) -> Rule:
    domain, equals, value = entry.partition("=")
    domain = domain.strip().removeprefix("@").lower()
    if not equals:
        raise _bad(entry, "it has no '='")
    if not _DOMAIN.fullmatch(domain):
        raise _bad(entry, f"{domain!r} is not a domain name")
    words = value.split()
    code = _CODE.fullmatch(words[0]) if words else None
    if code is None:
        raise _bad(entry, "the reply must start with a 3-digit SMTP code, 2xx, 4xx or 5xx")
    times, text = _count_and_text(entry, code.group("times"), words[1:])
    number = int(code.group("code"))
    return Rule(domain, Reply(number, text or _default_text(domain, number, times)), times)


def _count_and_text(
    entry: str, count_after_code: str | None, rest: list[str]
) -> tuple[int | None, str]:
    """The `xN` count and the reply text from the words after the code."""
    if count_after_code is not None and rest:
        raise _bad(entry, "with a reply text, the count comes last, as in '451 text x2'")
    trailing = _TRAILING_COUNT.fullmatch(rest[-1]) if rest else None
    if trailing:
        rest = rest[:-1]
    count = trailing.group("times") if trailing else count_after_code
    if count is not None and (not count or int(count) < 1):
        raise _bad(entry, "the count after 'x' must be a number, 1 or more")
    return (int(count) if count is not None else None), " ".join(rest)


def _default_text(domain: str, code: int, times: int | None) -> str:
    # Shown in the email's timeline, so it says where the answer came from.
    when = f"its first {times} attempts" if times else "every attempt"
    return f"{str(code)[0]}.0.0 {domain} answers {code} to {when} ({VARIABLE})"


def _refuse_duplicates(rules: Iterable[Rule]) -> None:
    seen: set[str] = set()
    for rule in rules:
        if rule.domain in seen:
            raise ConfigError(f"{VARIABLE}: {rule.domain} has more than one rule; keep one.")
        seen.add(rule.domain)


def _bad(entry: str, why: str) -> ConfigError:
    return ConfigError(f"{VARIABLE}: {entry!r} is not a valid rule: {why}. Write {_EXAMPLES}.")


class RecipientGate:
    """Answers each RCPT by the rules, counting the attempts of rules limited to N attempts.

    Counts are per recipient address and closed when a message is caught for it (see the module
    docstring for why). Only addresses with an open count are remembered, at most `capacity`.
    """

    def __init__(self, rules: Rules, capacity: int = 10_000) -> None:
        self.rules = rules
        self.capacity = capacity
        self._refused: OrderedDict[str, int] = OrderedDict()

    def answer(self, recipient: str) -> Reply:
        rule = self.rules.rule_for(recipient)
        if rule is None or not rule.counted:
            return rule.reply if rule else ACCEPTED
        key = recipient.lower()
        attempt = self._refused.get(key, 0) + 1
        reply = rule.reply_to(attempt)
        if not reply.accepted:
            self._remember(key, attempt)
        return reply

    def caught(self, recipients: Iterable[str]) -> None:
        """A message was accepted for these recipients: their next message starts a new count."""
        for recipient in recipients:
            self._refused.pop(recipient.lower(), None)

    def _remember(self, key: str, attempt: int) -> None:
        self._refused[key] = attempt
        self._refused.move_to_end(key)
        while len(self._refused) > self.capacity:
            self._refused.popitem(last=False)
