from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_objectchange_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_objectchange_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_objectchange
    FOR EACH ROW EXECUTE FUNCTION audit_objectchange_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_objectchange_no_update_delete ON audit_objectchange;
DROP FUNCTION IF EXISTS audit_objectchange_immutable();
"""


def forwards(apps, schema_editor):
    # PostgreSQL refuses UPDATE and DELETE on the audit table, whoever asks (TRUNCATE, used by test
    # teardown and by a deliberate administrator, is not a row change and stays possible).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
