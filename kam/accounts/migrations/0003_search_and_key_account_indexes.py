"""Indexes for the account list on a large tenant (docs/performance.md): key accounts in list order, and, on PostgreSQL,
trigram indexes that answer the list's search (`icontains` = UPPER(column) LIKE '%…%') without reading every account.
The trigram indexes need the pg_trgm extension; where the database user may not create it, they are skipped (search
still works, by reading the table) and a warning says how to add them."""

import logging

from django.db import DatabaseError, migrations, models, transaction

SEARCHED = ["name", "legal_name", "account_number", "crm_id"]  # AccountFilterSet.search_fields


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic():
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        logging.getLogger("kam").warning(
            "pg_trgm is not available to this database user: account search works without its indexes, but reads "
            "every account. Run CREATE EXTENSION pg_trgm as a superuser, then `kam migrate accounts 0002` and `kam migrate`."
        )
        return
    for column in SEARCHED:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS account_search_{column}_trgm ON accounts_account "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for column in SEARCHED:
            schema_editor.execute(f"DROP INDEX IF EXISTS account_search_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [
        migrations.AddIndex(
            model_name="account",
            index=models.Index(fields=["is_key_account", "name", "account_number"], name="account_key_by_name"),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
