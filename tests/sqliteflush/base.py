"""SQLite for the test process: its test database a copy of the run's migrated schema, its
flush keeping the content types and permissions (tests/flush_kept.py).  Pods started by the
tests use the ordinary backend; only the test process's own connection uses this one.
"""
import sqlite3

from django.conf import settings
from django.core.management import call_command
from django.db.backends.sqlite3 import base, creation, operations

from tests.flush_kept import flushed


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return super().sql_flush(style, flushed(tables))


class DatabaseCreation(creation.DatabaseCreation):
    """The in-memory test database is loaded, with sqlite3's backup API, from the run's schema
    (tests/harness/schema.py): `kith migrate` run once per run, in a process of its own, with
    its system checks and `post_migrate`'s content types and permissions.  Migrating it in every
    xdist worker as Django does cost ~9 CPU-s each, the same migrations each time."""

    def create_test_db(self, verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        name = self._get_test_db_name()
        if keepdb or not self.is_in_memory_db(name) or self.connection.settings_dict["TEST"].get("MIGRATE") is False:
            return super().create_test_db(verbosity, autoclobber, serialize, keepdb)
        from tests.harness import schema

        if verbosity >= 1:
            self.log(f"Loading test database for alias {self._get_database_display_str(verbosity, name)} from {schema.sqlite_schema()}...")
        self._create_test_db(verbosity, autoclobber, keepdb)
        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        self.connection.ensure_connection()
        source = sqlite3.connect(schema.sqlite_schema())
        try:
            source.backup(self.connection.connection)
        finally:
            source.close()
        if serialize:
            self.connection._test_serialized_contents = self.serialize_db_to_string()
        call_command("createcachetable", database=self.connection.alias)
        return name


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
    ops_class = DatabaseOperations
