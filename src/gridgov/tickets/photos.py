"""Photos attached to tickets: JPEG/PNG up to 10 MB, re-encoded without metadata.

Re-encoding drops EXIF entirely (GPS position, device serials): a photo of a
broken lamp must not publish where the reporter lives.
"""

import io

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 4096
# Width × height, read from the file's header before any pixel is inflated: a 10 MB file can
# declare far more (a PNG of one colour compresses about 1000:1), and decoding costs 1-4
# bytes a pixel and seconds of CPU. Pillow's own limits (a warning from 89 million pixels,
# an error from 179 million) let 700 MB of RGB through. 50 million takes the 48-50 MP
# full-resolution modes of phone cameras.
MAX_PIXELS = 50_000_000
MAX_PHOTOS = 9  # per intake or per resolution
# MPO is what Pillow calls a JPEG carrying more pictures in an MPF block (phones add a depth
# map, a preview, a gain map): a JPEG photo, of which the main picture is kept.
FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png"}
# The only parsers Pillow may try on an upload: a file is not run through the decoders of
# the thirty-odd other formats it knows (each a past source of CVEs) only to be refused.
# (The JPEG parser itself answers MPO for a multi-picture file.)
OPEN_FORMATS = ("JPEG", "PNG")


class PhotoError(ValueError):
    pass


def clean_photo(upload):
    """Validate and re-encode an uploaded file; returns (ContentFile, width, height)."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise PhotoError(_("A photo may be at most 10 MB."))
    data = upload.read(MAX_BYTES + 1)  # no further: a stream may not know its size
    if len(data) > MAX_BYTES:
        raise PhotoError(_("A photo may be at most 10 MB."))
    # Pillow's decoders answer a malformed or hostile file with whatever exception the
    # check that caught it raises: OSError, SyntaxError, but also ValueError (a PNG text or
    # ICC chunk inflating past PngImagePlugin.MAX_TEXT_CHUNK), struct.error, EOFError,
    # IndexError … Each is the file's fault, so each is a PhotoError (400), not a 500.
    try:
        return _reencode(data)
    except PhotoError:
        raise
    except Exception:
        raise PhotoError(_("The file is not a JPEG or PNG image.")) from None


def _too_many_pixels():
    return PhotoError(
        _("A photo may have at most %(n)s million pixels.") % {"n": MAX_PIXELS // 1_000_000}
    )


def _reencode(data):
    try:
        with Image.open(io.BytesIO(data), formats=OPEN_FORMATS) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise _too_many_pixels()
            probe.verify()
    except Image.DecompressionBombError:  # over Pillow's own limit: refused by open()
        raise _too_many_pixels() from None
    image = Image.open(io.BytesIO(data), formats=OPEN_FORMATS)
    fmt = image.format
    if fmt not in FORMATS:
        raise PhotoError(_("Only JPEG and PNG photos are accepted."))
    image.load()
    # Apply the EXIF orientation before the EXIF block is dropped.
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    image = _to_srgb(image, image.info.get("icc_profile"))
    image.info = {}  # no EXIF, XMP, text chunks or profile are carried into the saved file
    out = io.BytesIO()
    if FORMATS[fmt] == "jpg":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    name = f"photo.{FORMATS[fmt]}"
    return ContentFile(out.getvalue(), name=name), image.width, image.height


def _to_srgb(image, icc):
    """The picture's colours converted from its embedded profile to sRGB, the profile not kept.

    Phones tag photos Display P3: dropped without conversion, P3 values read as sRGB came
    out dull (a red fire door a faded brick). The profile itself is not carried over: it
    is the device's, and the file is published. A profile lcms cannot read is dropped as
    before, colours unconverted.
    """
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def clean_all(uploads):
    """Check and re-encode a submission's photos (at most MAX_PHOTOS); → the cleaned list.
    Raises PhotoError with the first problem, before anything is stored."""
    if len(uploads) > MAX_PHOTOS:
        raise PhotoError(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
    cleaned = []
    for number, upload in enumerate(uploads, 1):
        try:
            cleaned.append(clean_photo(upload))
        except PhotoError as exc:
            if len(uploads) == 1:
                raise
            # Which of the photos chosen on the phone: "不是 JPEG 或 PNG 图片" alone left the
            # worker guessing which of five to leave out.
            name = getattr(upload, "name", "") or "—"
            raise PhotoError(
                _("Photo %(n)s of %(count)s (%(name)s): %(error)s")
                % {"n": number, "count": len(uploads), "name": name, "error": exc}
            ) from None
    return cleaned


def attach(ticket, cleaned, event=None):
    """Store cleaned photos on the ticket (on the step they show, e.g. the resolution);
    → the stored TicketPhoto rows."""
    from .models import TicketPhoto

    return [
        TicketPhoto.objects.create(
            ticket_id=ticket.pk, event=event, image=content, width=width, height=height
        )
        for content, width, height in cleaned
    ]


# The event of photos added to a ticket after intake (add): a row of the timeline, no
# transition of the lifecycle; its data lists the photos' ids.
ADD_PHOTOS = "add-photos"
# Where a ticket's matter is over or handled elsewhere, nobody acts on a photo added to it.
CLOSED_REFUSAL = gettext_noop(
    "The ticket is closed: photos can no longer be added to it. If the matter is not "
    "solved, the dispatch desk can reopen it."
)
MERGED_REFUSAL = gettext_noop(
    "The ticket was merged into %(survivor)s, where the matter is handled: add the photos there."
)


def add(ticket, cleaned, actor, now=None):
    """Store photos added to a ticket after intake, with one ADD_PHOTOS event naming them
    (actor, time, the owner then), so the timeline shows who added what when; → (event,
    photos). Refused (lifecycle.InvalidTransition, 409) on a closed or merged ticket and
    (lifecycle.NotAllowed, 403) to whoever may not `tickets.add_photos` on it, checked
    under the ticket's row lock: a close committed meanwhile is seen. The ticket's
    `updated_at` moves (a bridge pulling `updated_after` sees the addition); its
    `version` does not: no field an action decides on has changed."""
    from django.db import transaction
    from django.utils import timezone

    from . import lifecycle
    from .models import Status, Ticket, TicketPhoto

    now = now or timezone.now()
    with transaction.atomic():
        locked = lifecycle.lock_ticket(ticket.pk)
        refusal = None
        if locked.status == Status.CLOSED:
            refusal = _(CLOSED_REFUSAL)
        elif locked.status == Status.MERGED:
            refusal = _(MERGED_REFUSAL) % {"survivor": locked.survivor().code}
        if refusal:
            raise lifecycle.InvalidTransition(refusal, status=locked.status)
        if not actor.has_perm("tickets.add_photos", locked):
            raise lifecycle.NotAllowed(
                _("You may not add photos to this ticket, or it is outside your area.")
            )
        stored = attach(locked, cleaned)
        event = lifecycle.record(
            locked, ADD_PHOTOS, actor, now, data={"photos": [photo.pk for photo in stored]}
        )
        TicketPhoto.objects.filter(pk__in=[photo.pk for photo in stored]).update(event=event)
        Ticket.objects.filter(pk=locked.pk).update(updated_at=now)
    for photo in stored:
        photo.event = event
    return event, stored


def shown_to(ticket, user, sees_ticket):
    """The ticket's photos for `user`: all of them for whoever sees the ticket (staff in
    scope); for its requester (我的诉求) those their demand's page shows
    (progress.photos) and the ones they added themselves."""
    from django.db.models import Q

    from . import progress
    from .models import TicketPhoto

    photos = TicketPhoto.objects.filter(ticket=ticket)
    if sees_ticket:
        return photos
    return progress.photos(ticket) | photos.filter(Q(event__action=ADD_PHOTOS, event__actor=user))


def file_response(photo):
    """The stored file of a photo, private to the caller's browser; 404 when it is gone (a
    restore that left out the media, a volume not mounted), not a server error."""
    from django.http import FileResponse, Http404
    from django.utils.cache import patch_cache_control

    if photo is None or not photo.image:
        raise Http404
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle)
    patch_cache_control(response, private=True, max_age=3600)
    return response
