"""The base of every table's definition, with the names its constraints and indexes get.

The definitions are SQLAlchemy models, from which Alembic's migrations are made; nothing runs
them at run time (every statement is SQL run by asyncpg), so the services never import this.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every table's definition (the migrations are generated from these)."""

    metadata = MetaData(naming_convention=NAMING)
