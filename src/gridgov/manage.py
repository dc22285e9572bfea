import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    from gridgov.core import datadir

    datadir.before_command(sys.argv)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
