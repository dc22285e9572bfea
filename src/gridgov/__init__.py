"""gridgov — 党建引领城市治理精细化 (Party-building-led, grid-based urban governance)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
