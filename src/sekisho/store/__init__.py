"""Storage: the `Database` protocol and its memory (DB-less), SQLite and PostgreSQL implementations."""
