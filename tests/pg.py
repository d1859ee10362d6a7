"""A second connection to the test database, to see from PostgreSQL what the application's sent."""

from django.db import connection


class Observer:
    """Autocommit connection of its own; ``last_statement()`` is what the application's connection
    (Django's default) last sent, as its backend shows it in ``pg_stat_activity``."""

    def __init__(self) -> None:
        self.raw = connection.get_new_connection(connection.get_connection_params())
        self.raw.autocommit = True

    def execute(self, sql: str, params=None):
        return self.raw.execute(sql, params)

    def last_statement(self, pid: int | None = None) -> str:
        pid = connection.connection.info.backend_pid if pid is None else pid
        return self.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]

    def close(self) -> None:
        self.raw.close()
