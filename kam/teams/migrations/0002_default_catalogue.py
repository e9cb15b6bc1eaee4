"""Seeds the defaults of kam/teams/defaults.py into an empty database."""

from django.db import migrations


def seed(apps, schema_editor):
    from kam.teams.defaults import seed as seed_defaults

    seed_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("teams", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
