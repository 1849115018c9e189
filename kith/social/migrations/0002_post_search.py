"""The full-text index of posts (kith/social/search.py explains both engines).

Not a model: each database gets the structure its engine needs, and the
ORM never reads these tables except through kith.social.search.
"""

from django.db import migrations


def create_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        # rowid is the post id; the words are normalised by kith.social.search before they arrive.
        schema_editor.execute(
            "CREATE VIRTUAL TABLE social_post_search USING fts5(words, tokenize = 'unicode61 remove_diacritics 0')"
        )
    elif vendor == "postgresql":
        # No foreign key: test flushes TRUNCATE social_post without CASCADE, and a stale row is
        # harmless anyway (search joins every hit against visible posts).
        schema_editor.execute(
            "CREATE TABLE social_post_search (post_id bigint PRIMARY KEY, document tsvector NOT NULL)"
        )
        schema_editor.execute("CREATE INDEX social_post_search_document_idx ON social_post_search USING GIN (document)")
    else:
        raise RuntimeError(f"Kith search supports SQLite and PostgreSQL, not {vendor}")


def drop_search_index(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS social_post_search")


class Migration(migrations.Migration):
    dependencies = [("social", "0001_initial")]

    operations = [migrations.RunPython(create_search_index, drop_search_index)]
