"""The demo's Open311 key: deterministic, so `gridgov demo` can print it every time."""

from gridgov.tickets.models import Channel

from . import keys
from .models import ApiKey, hash_key

DEMO_KEY = "gridgov-demo-open311-key"


def seed_open311():
    """An Open311 API key for the demo (jurisdictions for every street)."""
    keys.ensure_street_jurisdictions()
    if not ApiKey.objects.filter(key_hash=hash_key(DEMO_KEY)).exists():
        keys.issue_key(
            DEMO_KEY,
            name="随手拍演示应用 (demo)",
            contact="demo@gridgov.invalid",
            channel=Channel.PHOTO,
            rate_limit=600,
            note="Issued by gridgov demo; printed on start.",
        )
    return DEMO_KEY
