"""The mail catcher's rules: what ECCS_DEV_SMTP_RULES says, and how each attempt is answered."""

from __future__ import annotations

import pytest

from eccs.devmail.rules import DEFAULT_RULES, RecipientGate, Reply, Rule, Rules
from eccs.platform.settings import ConfigError


def codes(rules: Rules, recipient: str, attempts: int) -> list[int]:
    return [rules.answer(recipient, attempt).code for attempt in range(1, attempts + 1)]


def test_the_default_rules_answer_as_the_architecture_says() -> None:
    rules = Rules.parse(DEFAULT_RULES)

    assert codes(rules, "someone@fail.test", 5) == [550] * 5
    assert codes(rules, "someone@flaky.test", 5) == [451, 451, 250, 250, 250]
    assert codes(rules, "someone@down.test", 5) == [451] * 5
    assert codes(rules, "someone@example.test", 2) == [250, 250]


def test_default_replies_name_the_rule_they_come_from() -> None:
    reply = Rules.parse(DEFAULT_RULES).answer("a@flaky.test", 1)

    assert reply == Reply(
        451, "4.0.0 flaky.test answers 451 to its first 2 attempts (ECCS_DEV_SMTP_RULES)"
    )
    assert reply.line().startswith("451 4.0.0 ")


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("grey.test=451 4.7.1 greylisted", Rule("grey.test", Reply(451, "4.7.1 greylisted"))),
        ("grey.test=451 4.7.1 greylisted x2", Rule("grey.test", Reply(451, "4.7.1 greylisted"), 2)),
        (
            "grey.test = 451x3",
            Rule(
                "grey.test",
                Reply(
                    451, "4.0.0 grey.test answers 451 to its first 3 attempts (ECCS_DEV_SMTP_RULES)"
                ),
                3,
            ),
        ),
        ("@Grey.Test=554 5.7.1 go away", Rule("grey.test", Reply(554, "5.7.1 go away"))),
    ],
)
def test_a_rule_may_carry_its_reply_text_and_a_count(text: str, rule: Rule) -> None:
    assert Rules.parse(text) == Rules((rule,))


def test_a_domain_covers_its_subdomains_and_the_most_specific_rule_wins() -> None:
    rules = Rules.parse("fail.test=550,ok.fail.test=250")

    assert rules.answer("a@mx.eu.fail.test", 1).code == 550
    assert rules.answer("a@FAIL.TEST", 1).code == 550
    assert rules.answer("a@ok.fail.test", 1).code == 250
    assert rules.answer("a@notfail.test", 1).code == 250


def test_no_rules_accept_everyone() -> None:
    assert Rules.parse(" ") == Rules(())
    assert Rules.parse("").answer("a@fail.test", 1).code == 250


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("fail.test", "'fail.test' is not a valid rule: it has no '='"),
        ("fail.test=", "the reply must start with a 3-digit SMTP code"),
        ("fail.test=55", "the reply must start with a 3-digit SMTP code"),
        ("fail.test=354", "the reply must start with a 3-digit SMTP code"),
        ("fail.test=fivefifty", "the reply must start with a 3-digit SMTP code"),
        ("=550", "'' is not a domain name"),
        ("fail..test=550", "'fail..test' is not a domain name"),
        ("flaky.test=451x0", "the count after 'x' must be a number, 1 or more"),
        ("flaky.test=451x", "the count after 'x' must be a number, 1 or more"),
        ("flaky.test=451x2 greylisted", "the count comes last"),
        ("fail.test=550,fail.test=451", "fail.test has more than one rule"),
    ],
)
def test_a_bad_rule_is_a_config_error_naming_it(text: str, why: str) -> None:
    with pytest.raises(ConfigError, match="ECCS_DEV_SMTP_RULES") as raised:
        Rules.parse(f"ok.test=250,{text}")

    assert why in str(raised.value)


def test_the_gate_counts_attempts_per_recipient_until_a_message_is_caught() -> None:
    gate = RecipientGate(Rules.parse(DEFAULT_RULES))

    assert [gate.answer("a@flaky.test").code for _ in range(3)] == [451, 451, 250]
    assert gate.answer("b@flaky.test").code == 451  # its own count
    gate.caught(["A@flaky.test"])
    assert [gate.answer("a@flaky.test").code for _ in range(3)] == [451, 451, 250]


def test_the_gate_forgets_the_oldest_counts_beyond_its_capacity() -> None:
    gate = RecipientGate(Rules.parse("flaky.test=451x1"), capacity=2)

    assert [gate.answer(f"{name}@flaky.test").code for name in "abc"] == [451, 451, 451]
    assert gate.answer("a@flaky.test").code == 451  # forgotten: a first attempt again
    assert gate.answer("c@flaky.test").code == 250
