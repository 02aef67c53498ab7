from tests.integration.conftest import Account


def test_a_registered_user_can_send_and_read_back(alice: Account) -> None:
    accepted = alice.send(to=["bob@example.test"], subject="Hi", text="Hello")
    assert accepted.status_code == 202, accepted.text
    email = alice.mail.get(f"/api/emails/{accepted.json()['id']}").json()
    assert email["status"] == "queued"
    assert [r["address"] for r in email["recipients"]] == ["bob@example.test"]
