"""email-service HTTP routes: /api/account/* (a person's data as a whole)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import StreamingResponse

from eccs.mail.account.export import export_document, export_head
from eccs.mail.account.schemas import AccountExport
from eccs.platform.db import Database
from eccs.platform.dependencies import Db, Person
from eccs.platform.http import api_router, errors

router = api_router("/api/account", "account", scoped=True)


@router.get(
    "/export",
    response_model=AccountExport,
    responses=errors(401),
    summary="Download everything ECCS keeps about you (JSON)",
    description="Your profile, API keys (never the keys themselves), templates, contacts, and"
    " every email with each recipient's outcome (attachments by name and size). Needs you"
    " signed in: an API key cannot export.",
)
async def export(person: Person, db: Db, request: Request) -> StreamingResponse:
    head = await export_head(db, person.id)
    database: Database = request.app.state.database
    filename = f"eccs-export-{datetime.now(UTC):%Y-%m-%d}.json"
    return StreamingResponse(
        export_document(head, database, person.id),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
