"""Templates as a client sees them: CRUD, names unique per user regardless of case, syntax checked
when saved, previews of saved and unsaved content, and other users' templates out of reach."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Account, error_of, fields_of


def create(account: Account, **fields: Any) -> httpx.Response:
    body = {"name": "Welcome", "subject": "Welcome {{name}}", "text": "Hi {{name}}", **fields}
    return account.mail.post("/api/templates", json=body)


def created(account: Account, **fields: Any) -> dict[str, Any]:
    response = create(account, **fields)
    assert response.status_code == 201, response.text
    template: dict[str, Any] = response.json()
    return template


# --- create, read, list, update, delete ---------------------------------------------------------


def test_create_answers_201_with_the_template(alice: Account) -> None:
    template = created(alice, name="Receipt", html="<p>{{total}}</p>", text=None)

    assert uuid.UUID(template["id"])
    assert (template["name"], template["subject"]) == ("Receipt", "Welcome {{name}}")
    assert (template["html"], template["text"]) == ("<p>{{total}}</p>", None)
    assert alice.mail.get(f"/api/templates/{template['id']}").json() == template


def test_a_template_needs_text_or_html(alice: Account) -> None:
    assert fields_of(create(alice, text=None)) == ["text"]


@pytest.mark.parametrize("blank", ["", "   "])
@pytest.mark.parametrize("field", ["name", "subject"])
def test_an_empty_or_blank_name_or_subject_is_422(alice: Account, field: str, blank: str) -> None:
    assert fields_of(create(alice, **{field: blank})) == [field]


@pytest.mark.parametrize("field", ["name", "subject", "text", "html"])
def test_a_nul_character_is_422_naming_the_field(alice: Account, field: str) -> None:
    assert fields_of(create(alice, **{field: "a\x00b"})) == [field]


def test_a_line_break_in_the_subject_is_422(alice: Account) -> None:
    assert fields_of(create(alice, subject="Hi\r\nBcc: x@example.test")) == ["subject"]


@pytest.mark.parametrize(
    ("field", "source"),
    [
        ("html", "<p>{{#items}}never closed</p>"),
        ("text", "{{/items}} closed, never opened"),
        ("subject", "Hi {{#a}}{{/b}}"),
        ("html", "{{> footer}}"),
    ],
)
def test_invalid_mustache_is_422_naming_the_part(alice: Account, field: str, source: str) -> None:
    response = create(alice, **{field: source})

    assert fields_of(response) == [field]
    assert alice.mail.get("/api/templates").json()["total"] == 0


def test_the_list_is_by_name_and_searchable_by_name_prefix(alice: Account) -> None:
    for name in ("beta", "Alpha", "alphabet", "gamma"):
        created(alice, name=name)

    everything = alice.mail.get("/api/templates").json()
    found = alice.mail.get("/api/templates", params={"q": "ALPHA"}).json()

    assert [t["name"] for t in everything["items"]] == ["Alpha", "alphabet", "beta", "gamma"]
    assert (everything["total"], everything["page"], everything["page_size"]) == (4, 1, 20)
    assert [t["name"] for t in found["items"]] == ["Alpha", "alphabet"]
    assert found["total"] == 2


def test_the_list_is_paged(alice: Account) -> None:
    for name in ("a", "b", "c"):
        created(alice, name=name)

    page = alice.mail.get("/api/templates", params={"page": 2, "page_size": 2}).json()

    assert [t["name"] for t in page["items"]] == ["c"]
    assert page["total"] == 3
    assert fields_of(alice.mail.get("/api/templates", params={"page_size": 101})) == ["page_size"]


def test_update_replaces_the_content(alice: Account) -> None:
    template = created(alice)

    response = alice.mail.put(
        f"/api/templates/{template['id']}",
        json={"name": "Renamed", "subject": "New {{x}}", "html": "<b>{{x}}</b>"},
    )

    assert response.status_code == 200, response.text
    updated = alice.mail.get(f"/api/templates/{template['id']}").json()
    assert (updated["name"], updated["subject"]) == ("Renamed", "New {{x}}")
    assert (updated["html"], updated["text"]) == ("<b>{{x}}</b>", None)
    assert updated["updated_at"] > template["updated_at"]


def test_an_update_with_invalid_mustache_changes_nothing(alice: Account) -> None:
    template = created(alice)

    response = alice.mail.put(
        f"/api/templates/{template['id']}",
        json={"name": "Welcome", "subject": "Hi", "text": "{{#open}}"},
    )

    assert fields_of(response) == ["text"]
    assert alice.mail.get(f"/api/templates/{template['id']}").json() == template


def test_delete_answers_204_and_the_template_is_gone(alice: Account) -> None:
    template = created(alice)

    response = alice.mail.delete(f"/api/templates/{template['id']}")

    assert response.status_code == 204
    assert response.content == b""
    error_of(alice.mail.get(f"/api/templates/{template['id']}"), 404)
    error_of(alice.mail.delete(f"/api/templates/{template['id']}"), 404)


def test_an_unknown_or_malformed_id(alice: Account) -> None:
    assert error_of(alice.mail.get(f"/api/templates/{uuid.uuid4()}"), 404)["code"] == (
        "template_not_found"
    )
    assert fields_of(alice.mail.get("/api/templates/nope")) == ["template_id"]


# --- names --------------------------------------------------------------------------------------


def test_a_duplicate_name_in_another_case_is_409_naming_name(alice: Account) -> None:
    created(alice, name="Welcome")

    response = create(alice, name="WELCOME")

    error = error_of(response, 409)
    assert error["code"] == "template_name_taken"
    assert [f["field"] for f in error["fields"]] == ["name"]
    assert alice.mail.get("/api/templates").json()["total"] == 1


def test_renaming_onto_another_templates_name_is_409(alice: Account) -> None:
    created(alice, name="First")
    second = created(alice, name="Second")

    response = alice.mail.put(
        f"/api/templates/{second['id']}", json={"name": "first", "subject": "s", "text": "t"}
    )

    assert fields_of(response, 409) == ["name"]
    assert alice.mail.get(f"/api/templates/{second['id']}").json()["name"] == "Second"


def test_keeping_its_own_name_on_update_is_fine(alice: Account) -> None:
    template = created(alice, name="Mine")

    response = alice.mail.put(
        f"/api/templates/{template['id']}", json={"name": "MINE", "subject": "s", "text": "t"}
    )

    assert response.status_code == 200, response.text


def test_two_users_may_use_the_same_name(alice: Account, bob: Account) -> None:
    created(alice, name="Welcome")

    assert create(bob, name="Welcome").status_code == 201


# --- other users --------------------------------------------------------------------------------


def test_another_users_template_is_out_of_reach(alice: Account, bob: Account) -> None:
    template = created(alice)
    url = f"/api/templates/{template['id']}"

    assert bob.mail.get("/api/templates").json()["total"] == 0
    error_of(bob.mail.get(url), 404)
    error_of(bob.mail.put(url, json={"name": "Mine", "subject": "s", "text": "t"}), 404)
    error_of(bob.mail.delete(url), 404)
    error_of(bob.mail.post(f"{url}/preview", json={"data": {"name": "x"}}), 404)
    assert alice.mail.get(url).json() == template


def test_templates_need_a_token(anonymous: dict[str, httpx.Client]) -> None:
    error_of(anonymous["mail"].get("/api/templates"), 401)


# --- preview ------------------------------------------------------------------------------------


def preview(account: Account, **body: Any) -> httpx.Response:
    return account.mail.post("/api/templates/preview", json=body)


def test_preview_renders_unsaved_content_escaping_html_only(alice: Account) -> None:
    response = preview(
        alice,
        subject="For {{who}}",
        text="Dear {{who}}",
        html="<p>{{who}}</p>",
        data={"who": "<A & B>"},
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "subject": "For <A & B>",
        "text": "Dear <A & B>",
        "html": "<p>&lt;A &amp; B&gt;</p>",
    }
    assert alice.mail.get("/api/templates").json()["total"] == 0


def test_preview_derives_text_from_html(alice: Account) -> None:
    response = preview(
        alice, subject="Hi", html="<h1>Hello {{n}}</h1><p>See you</p>", data={"n": 1}
    )

    text = response.json()["text"]
    assert "Hello 1" in text and "See you" in text and "<" not in text


def test_preview_reports_every_missing_name_under_data(alice: Account) -> None:
    response = preview(alice, subject="Hi {{a}}", text="{{b}} {{a}}", data={})

    assert fields_of(response) == ["data.a", "data.b"]


def test_preview_refuses_a_line_break_rendered_into_the_subject(alice: Account) -> None:
    response = preview(alice, subject="Hi {{x}}", text="t", data={"x": "a\r\nBcc: v@example.test"})

    assert fields_of(response) == ["subject"]


def test_preview_refuses_invalid_mustache(alice: Account) -> None:
    assert fields_of(preview(alice, subject="Hi", html="{{#open}}oops", data={})) == ["html"]


def test_preview_of_a_saved_template(alice: Account) -> None:
    template = created(alice, subject="Hello {{name}}", text=None, html="<i>{{name}}</i>")

    response = alice.mail.post(
        f"/api/templates/{template['id']}/preview", json={"data": {"name": "Zoë & co"}}
    )

    assert response.status_code == 200, response.text
    rendered = response.json()
    assert rendered["subject"] == "Hello Zoë & co"
    assert rendered["html"] == "<i>Zoë &amp; co</i>"
    assert rendered["text"] == "Zoë & co"


def test_preview_of_a_saved_template_with_missing_data_is_422(alice: Account) -> None:
    template = created(alice)

    response = alice.mail.post(f"/api/templates/{template['id']}/preview", json={})

    assert fields_of(response) == ["data.name"]
