"""Backups of everything ECCS keeps: `eccs backup` and `eccs restore`.

One backup is one file, `eccs-backup-<UTC time>.tar`, holding:
- `postgres.dump.age`: `pg_dump -Fc` of the database (users, emails, templates, contacts, the
  outbox, and the audit trail when it is kept in PostgreSQL), encrypted;
- `audit.bson.age`: the audit database's collections as BSON documents, encrypted, when
  MONGODB_URL is set;
- `manifest.json`: when and from what it was made (versions of ECCS, the schema, the servers
  and the tools) and the SHA-256 and size of each member, encrypted and plain.

Encryption is age (X25519) with the key file's identity, so `age -d -i KEY` opens a member too.
Restore checks every checksum before it changes anything and refuses a backup that does not match.
"""
