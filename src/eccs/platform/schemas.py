"""The base of every request body the APIs take."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    """A request body: a field the API does not know is a 422 naming it, never silently ignored
    (a client that sends `from` or `headers` must learn they are not used)."""

    model_config = ConfigDict(extra="forbid")
