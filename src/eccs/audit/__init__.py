"""The audit trail of delivery attempts, kept in MongoDB or PostgreSQL behind one interface."""
