"""Template rendering without a server: escaping, missing names, refused syntax, derived text."""

from __future__ import annotations

from typing import Any

import pytest

from eccs.mail.templates.rendering import check_syntax, render_parts, text_from_html
from eccs.platform.errors import InvalidInput


def render(
    subject: str = "Hi", text: str | None = None, html: str | None = None, **data: Any
) -> Any:
    return render_parts(subject, text, html, data, prefix="")


def problems(error: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [problem.field for problem in error.value.fields]


def test_values_are_escaped_in_html_and_kept_verbatim_in_subject_and_text() -> None:
    value = '<b>Tom & "Jerry"</b>'

    rendered = render("Hi {{name}}", "Dear {{name}}", "<p>{{name}}</p>", name=value)

    assert rendered.subject == f"Hi {value}"
    assert rendered.text == f"Dear {value}"
    assert rendered.html == "<p>&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;</p>"


def test_sections_and_nested_names_render() -> None:
    rendered = render(
        "Order {{order.number}}",
        "{{#items}}- {{name}}\n{{/items}}",
        order={"number": 42},
        items=[{"name": "tea"}, {"name": "cake"}],
    )

    assert rendered.subject == "Order 42"
    assert rendered.text == "- tea\n- cake\n"


def test_every_missing_name_is_reported_at_once_across_parts() -> None:
    with pytest.raises(InvalidInput) as error:
        render("Hi {{first}}", "{{second}} and {{first}}", "<p>{{third}}</p>")

    assert problems(error) == ["template_data.first", "template_data.second", "template_data.third"]


def test_a_missing_dotted_name_is_reported_by_its_full_path() -> None:
    with pytest.raises(InvalidInput) as error:
        render("Order {{order.number}}", "x", order={"date": "today"})

    assert problems(error) == ["template_data.order.number"]


def test_a_missing_section_is_reported_without_the_names_inside_it() -> None:
    with pytest.raises(InvalidInput) as error:
        render("Hi", "{{#items}}{{name}}{{/items}} for {{who}}")

    assert problems(error) == ["template_data.items", "template_data.who"]


def test_missing_names_can_be_reported_under_another_request_field() -> None:
    with pytest.raises(InvalidInput) as error:
        render_parts("Hi {{name}}", "x", None, {}, prefix="", data_field="data")

    assert problems(error) == ["data.name"]


def test_falsy_values_are_given_not_missing() -> None:
    rendered = render("{{count}} new", "{{^items}}none{{/items}}", count=0, items=[])

    assert (rendered.subject, rendered.text) == ("0 new", "none")


@pytest.mark.parametrize(
    "source",
    [
        "{{> footer}}",
        "{{ > footer }}",
        "{{#always}}{{> footer}}{{/always}}",
        "{{=<% %>=}}<%> footer%>",
    ],
)
def test_partials_are_refused_when_saved_and_when_rendered(source: str) -> None:
    with pytest.raises(InvalidInput) as saved:
        check_syntax(source, "html")
    with pytest.raises(InvalidInput) as rendered:
        render("Hi", None, source, always=True)

    assert problems(saved) == ["html"]
    assert problems(rendered) == ["html"]


@pytest.mark.parametrize("source", ["Hi {{#open}} never closed", "{{/close}} without open"])
def test_unbalanced_sections_are_refused_naming_the_part(source: str) -> None:
    with pytest.raises(InvalidInput) as saved:
        check_syntax(source, "text")
    with pytest.raises(InvalidInput) as rendered:
        render("Hi", source, None, open=True, close=True)

    assert problems(saved) == ["text"]
    assert problems(rendered) == ["text"]


def test_valid_syntax_and_absent_parts_pass_the_check() -> None:
    check_syntax("Hello {{name}} {{#a}}{{b}}{{/a}} {{{raw}}} {{! comment }}", "html")
    check_syntax(None, "html")


def test_text_is_derived_from_html_when_absent() -> None:
    rendered = render("Hi", None, "<h1>Welcome {{name}}</h1><p>Fish &amp; chips</p>", name="Ann")

    assert rendered.text is not None
    assert "Welcome Ann" in rendered.text
    assert "Fish & chips" in rendered.text
    assert "<" not in rendered.text


def test_given_text_is_kept_even_with_html() -> None:
    rendered = render("Hi", "plain {{x}}", "<p>rich {{x}}</p>", x="1")

    assert rendered.text == "plain 1"


def test_text_from_html_drops_tags_and_scripts_and_keeps_structure() -> None:
    text = text_from_html("<h1>Title</h1><p>One</p><script>alert(1)</script><ul><li>item</li></ul>")

    assert "Title" in text and "One" in text and "item" in text
    assert "alert" not in text and "<" not in text
    assert text.index("Title") < text.index("One") < text.index("item")
    assert text == text.strip()
