"""Seeds the programme's charter template (kam/charters/defaults.py) into an empty database."""

from django.db import migrations


def seed(apps, schema_editor):
    from kam.charters.defaults import seed as seed_template

    seed_template(apps)


class Migration(migrations.Migration):
    dependencies = [("charters", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
