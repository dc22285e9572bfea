"""What counts as a phone number, for intake, the ticket import and the staff and
department sheets alike (a phone a sheet gives is one a ticket would take)."""

import re

# A phone as people write it: digits with spaces, dashes or brackets, + before a country
# code; 7 (a landline without its area code) to 15 digits (E.164). "12345" or "abc" is no
# number anyone can call back.
_PHONE = re.compile(r"^\+?\d{7,15}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")


def is_phone(text):
    return bool(_PHONE.match(_PHONE_SEPARATORS.sub("", text)))


def digits(text):
    """The number a phone is, whatever way it is written: 139-0000-0019, 139 0000 0019 and
    13900000019 are one number (a re-imported sheet writing it otherwise changes nothing)."""
    return re.sub(r"\D", "", text or "")


def same_phone(a, b):
    return digits(a) == digits(b)
