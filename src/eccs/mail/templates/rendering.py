"""Rendering templates with Mustache (pystache): logic-less, so a template can run no code.

Every variable a template names must be given (`missing_tags="strict"`); all missing names are
reported at once. Values are HTML-escaped in HTML bodies and left as they are elsewhere. Partials
are switched off: a template can never read a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pystache
from inscriptis import get_text
from pystache.common import PystacheError, TemplateNotFoundError
from pystache.context import KeyNotFoundError
from pystache.parser import ParsingError, _PartialNode

from eccs.platform.errors import FieldProblem, InvalidInput

# Stand-in for a missing value while looking for further missing names. It is falsy so that a
# missing section ({{#items}}...{{/items}}) is skipped rather than entered: entering it would
# report the names inside it ({{id}} of each item) as missing top-level data.
_PROBE = ""
_MAX_MISSING = 50

_escaping = pystache.Renderer(missing_tags="strict", partials={})
_verbatim = pystache.Renderer(missing_tags="strict", partials={}, escape=lambda value: value)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str | None
    html: str | None


def render_parts(
    subject: str,
    text: str | None,
    html: str | None,
    data: Mapping[str, Any],
    *,
    prefix: str,
    data_field: str = "template_data",
) -> Rendered:
    """Render a subject and bodies; missing variables and broken templates are 422s.

    `data_field` is the request field that carries the data, so a missing name is reported where
    the client would add it (`template_data.name` on send, `data.name` on preview).
    """
    missing: list[str] = []
    out_subject = _render(subject, data, escape=False, missing=missing, field=f"{prefix}subject")
    out_text = _render(text, data, escape=False, missing=missing, field=f"{prefix}text")
    out_html = _render(html, data, escape=True, missing=missing, field=f"{prefix}html")
    if missing:
        raise InvalidInput(
            "Template variables are missing: " + ", ".join(sorted(set(missing))),
            fields=[
                FieldProblem(f"{data_field}.{name}", "is required by the template")
                for name in sorted(set(missing))
            ],
        )
    assert out_subject is not None
    if out_text is None and out_html is not None:
        out_text = text_from_html(out_html)
    return Rendered(out_subject, out_text, out_html)


def _render(
    source: str | None, data: Mapping[str, Any], *, escape: bool, missing: list[str], field: str
) -> str | None:
    if source is None:
        return None
    # Unsaved content (preview, or bodies sent with a template) is checked as saved templates
    # are: pystache renders an unclosed section by silently dropping text.
    check_syntax(source, field)
    renderer = _escaping if escape else _verbatim
    context: dict[str, Any] = dict(data)
    for _ in range(_MAX_MISSING):
        try:
            return str(renderer.render(source, context))
        except KeyNotFoundError as exc:
            missing.append(exc.key)
            if exc.key.split(".")[0] in context:  # a dotted name that cannot be filled in
                return None
            context[exc.key.split(".")[0]] = _PROBE
        except (ParsingError, TemplateNotFoundError, PystacheError) as exc:
            raise InvalidInput.on(field, f"is not a valid template: {exc}") from exc
    return None


def text_from_html(html: str) -> str:
    """A readable plain-text alternative for mail clients that do not show HTML."""
    text: str = get_text(html)
    return text.strip()


def check_syntax(source: str | None, field: str) -> None:
    """Refuse a template that cannot be parsed, naming the field, before it is saved."""
    if source is None:
        return
    try:
        # Without raise_on_mismatch an unclosed {{#section}} parses, and renders by dropping text.
        parsed = pystache.parse(source, raise_on_mismatch=True)
    except (ParsingError, PystacheError) as exc:
        raise InvalidInput.on(field, f"is not a valid template: {exc}") from exc
    # Looked for in the parse tree, not the text: `{{ > name}}` and changed delimiters
    # (`{{=<% %>=}}<%> name%>`) name partials too, and would be saved only to fail every send.
    if _names_a_partial(parsed):
        raise InvalidInput.on(field, "partials ({{> name}}) are not supported")


def _names_a_partial(parsed: Any) -> bool:
    for node in getattr(parsed, "_parse_tree", ()):
        if isinstance(node, _PartialNode):
            return True
        inner = getattr(node, "parsed", None) or getattr(node, "parsed_section", None)
        if inner is not None and _names_a_partial(inner):
            return True
    return False
