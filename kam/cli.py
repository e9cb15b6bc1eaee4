"""`kam`: the command line. `kam serve`, `kam worker`, `kam demo`, `kam import accounts FILE`, and every
Django management command (`kam migrate`, `kam createsuperuser`, `kam check --deploy`, …)."""

import os
import sys


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    if len(argv) == 1 or argv[1] in ("-h", "--help"):
        print(__doc__)
        argv = [argv[0], "help"]
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
