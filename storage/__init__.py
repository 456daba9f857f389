"""Persistence: SQLAlchemy 2 async models, the queries over them, and Alembic migrations."""
