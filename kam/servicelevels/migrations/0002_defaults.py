from django.db import migrations


def forwards(apps, schema_editor):
    from kam.servicelevels.defaults import write_defaults

    write_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("servicelevels", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
