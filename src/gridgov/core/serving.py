"""Serving gridgov from one process: waitress, plus the periodic tasks when no broker runs
them (`gridgov serve` for a street's own data, `gridgov demo` for the demo)."""

from django.conf import settings
from django.utils.translation import gettext as _

from .beat import EmbeddedBeat


def start_beat(stdout):
    """The schedule run in a thread of this process when there is no broker (nothing else
    would run the sweep), or None. It runs at once too, so what went overdue while the
    server was stopped is handled on start."""
    if settings.CELERY_BROKER_URL:
        return None
    beat = EmbeddedBeat(catch_up=True).start()
    stdout.write(
        _(
            "Periodic tasks (deadline sweep every %(minutes)s minutes, hot issues hourly) "
            "run in this process, a first time now."
        )
        % {"minutes": f"{settings.GRIDGOV_SWEEP_MINUTES:g}"}
    )
    return beat


def serve(stdout, style, *, host, port, threads):
    """Serve the site with waitress until stopped."""
    from waitress import serve as waitress_serve

    from gridgov.wsgi import application

    url = f"http://{host}:{port}/"
    stdout.write(style.SUCCESS(_("gridgov is running at %(url)s") % {"url": url}))
    stdout.write(_("API docs: %(url)sapi/docs/   Press Ctrl+C to stop.") % {"url": url})
    waitress_serve(application, host=host, port=port, threads=threads, ident="gridgov")
