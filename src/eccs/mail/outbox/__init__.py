"""The transactional outbox: rows written with the emails they request, published to Kafka by
the relay that runs inside email-service."""

from eccs.mail.outbox.relay import OutboxRelay, RelaySettings

__all__ = ["OutboxRelay", "RelaySettings"]
