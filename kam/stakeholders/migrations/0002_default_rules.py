"""Seeds the default coverage and cadence rules of kam/stakeholders/defaults.py into an empty database."""

from django.db import migrations


def seed(apps, schema_editor):
    from kam.stakeholders.defaults import seed as seed_defaults

    seed_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("stakeholders", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
