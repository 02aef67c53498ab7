"""What every API's requests are made of: the base of request bodies, and instants."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict


class RequestBody(BaseModel):
    """A request body: a field the API does not know is a 422 naming it, never silently ignored
    (a client that sends `from` or `headers` must learn they are not used)."""

    model_config = ConfigDict(extra="forbid")


def _in_utc(moment: datetime) -> datetime:
    # Year 9999 in a zone west of UTC (or year 1 east of it) has no UTC equivalent: it must be
    # refused here, not fail as a 500 where it is compared or stored.
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is out of range") from exc


Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]
"""An instant with its time zone (a time without one is refused), kept in UTC."""
