"""Contacts as a client sees them: CRUD, addresses unique per user regardless of case, prefix
search for autocomplete, and other users' contacts out of reach."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Account, error_of, fields_of


def create(account: Account, email: str, name: str | None = None) -> httpx.Response:
    return account.mail.post("/api/contacts", json={"email": email, "name": name})


def created(account: Account, email: str, name: str | None = None) -> dict[str, Any]:
    response = create(account, email, name)
    assert response.status_code == 201, response.text
    contact: dict[str, Any] = response.json()
    return contact


def search(account: Account, q: str | None = None, **params: Any) -> list[str]:
    response = account.mail.get("/api/contacts", params={"q": q, **params} if q else params)
    assert response.status_code == 200, response.text
    return [contact["email"] for contact in response.json()["items"]]


# --- create, read, list, update, delete ---------------------------------------------------------


def test_create_answers_201_and_keeps_the_address_as_typed(alice: Account) -> None:
    contact = created(alice, "Ann.Lee@Example.TEST", "Ann Lee")

    assert uuid.UUID(contact["id"])
    assert (contact["email"], contact["name"]) == ("Ann.Lee@Example.TEST", "Ann Lee")
    assert alice.mail.get(f"/api/contacts/{contact['id']}").json() == contact


def test_a_name_is_optional(alice: Account) -> None:
    assert created(alice, "noname@example.test")["name"] is None


@pytest.mark.parametrize("email", ["not-an-address", "a@b", "", "x@example.test\r\nBcc: y@y.test"])
def test_an_invalid_address_is_422_naming_email(alice: Account, email: str) -> None:
    assert fields_of(create(alice, email)) == ["email"]


def test_a_line_break_in_the_name_is_422(alice: Account) -> None:
    assert fields_of(create(alice, "a@example.test", "Ann\r\nBcc: x@example.test")) == ["name"]


def test_update_replaces_address_and_name(alice: Account) -> None:
    contact = created(alice, "old@example.test", "Old")

    response = alice.mail.put(
        f"/api/contacts/{contact['id']}", json={"email": "new@example.test", "name": "New"}
    )

    assert response.status_code == 200, response.text
    stored = alice.mail.get(f"/api/contacts/{contact['id']}").json()
    assert (stored["email"], stored["name"]) == ("new@example.test", "New")
    assert stored["updated_at"] > contact["updated_at"]


def test_delete_answers_204_and_the_contact_is_gone(alice: Account) -> None:
    contact = created(alice, "gone@example.test")

    response = alice.mail.delete(f"/api/contacts/{contact['id']}")

    assert response.status_code == 204
    error_of(alice.mail.get(f"/api/contacts/{contact['id']}"), 404)
    assert search(alice) == []


def test_an_unknown_or_malformed_id(alice: Account) -> None:
    error = error_of(alice.mail.get(f"/api/contacts/{uuid.uuid4()}"), 404)
    assert error["code"] == "contact_not_found"
    assert fields_of(alice.mail.get("/api/contacts/nope")) == ["contact_id"]


# --- duplicates ---------------------------------------------------------------------------------


def test_the_same_address_in_another_case_is_409_naming_email(alice: Account) -> None:
    created(alice, "ann@example.test")

    response = create(alice, "ANN@Example.test")

    error = error_of(response, 409)
    assert error["code"] == "contact_exists"
    assert [f["field"] for f in error["fields"]] == ["email"]
    assert search(alice) == ["ann@example.test"]


def test_changing_an_address_onto_another_contacts_is_409(alice: Account) -> None:
    created(alice, "ann@example.test")
    bea = created(alice, "bea@example.test")

    response = alice.mail.put(f"/api/contacts/{bea['id']}", json={"email": "Ann@example.test"})

    assert fields_of(response, 409) == ["email"]
    assert alice.mail.get(f"/api/contacts/{bea['id']}").json()["email"] == "bea@example.test"


def test_two_users_may_keep_the_same_address(alice: Account, bob: Account) -> None:
    created(alice, "ann@example.test")

    assert create(bob, "ann@example.test").status_code == 201


# --- search -------------------------------------------------------------------------------------


def test_search_matches_a_prefix_of_the_address_or_the_name(alice: Account) -> None:
    created(alice, "ann@example.test", "Ann Lee")
    created(alice, "bea@example.test", "Annika Berg")
    created(alice, "carl@example.test", "Carl Ann")
    created(alice, "joann@example.test")

    assert search(alice, "ANN") == ["ann@example.test", "bea@example.test"]
    assert search(alice, "car") == ["carl@example.test"]
    assert search(alice, "zz") == []


def test_search_treats_wildcards_literally(alice: Account) -> None:
    created(alice, "ann@example.test")
    created(alice, "a_b@example.test")

    assert search(alice, "a_") == ["a_b@example.test"]
    assert search(alice, "%") == []


def test_the_list_is_by_address_and_paged(alice: Account) -> None:
    for address in ("c@example.test", "A@example.test", "b@example.test"):
        created(alice, address)

    assert search(alice) == ["A@example.test", "b@example.test", "c@example.test"]
    page = alice.mail.get("/api/contacts", params={"page": 2, "page_size": 2}).json()
    assert ([c["email"] for c in page["items"]], page["total"]) == (["c@example.test"], 3)
    assert fields_of(alice.mail.get("/api/contacts", params={"page_size": 101})) == ["page_size"]


# --- other users --------------------------------------------------------------------------------


def test_another_users_contacts_are_out_of_reach(alice: Account, bob: Account) -> None:
    contact = created(alice, "ann@example.test", "Ann")
    url = f"/api/contacts/{contact['id']}"

    assert search(bob) == []
    assert search(bob, "ann") == []
    error_of(bob.mail.get(url), 404)
    error_of(bob.mail.put(url, json={"email": "mine@example.test"}), 404)
    error_of(bob.mail.delete(url), 404)
    assert alice.mail.get(url).json() == contact


def test_contacts_need_a_token(anonymous: dict[str, httpx.Client]) -> None:
    error_of(anonymous["mail"].get("/api/contacts"), 401)
