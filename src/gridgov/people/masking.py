"""Masking of personal data for lists and public output (DESIGN §8)."""

import re


def mask_name(name):
    """张三 -> 张*, 欧阳娜娜 -> 欧***: only the first character stays."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone):
    """13812341234 -> 138****1234; short numbers keep only their last two digits."""
    digits = (phone or "").strip()
    if not digits:
        return ""
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) > 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def mask_id_number(id_number):
    """110101199001011234 -> 1101**********1234."""
    value = (id_number or "").strip()
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


_DIGITS = re.compile(r"[0-9０-９]+")


def mask_address(address):
    """魏家坡小区3号楼2单元501室 -> 魏家坡小区*号楼*单元***室: every digit starred, so the
    road, compound and kind of place stay readable while the house, building, entrance
    and room numbers (what points at one household) do not. For an address that was not
    resolved to a building; a resolved one is better named by its building (exports)."""
    address = (address or "").strip()
    return _DIGITS.sub(lambda match: "*" * len(match.group()), address)


# Mobile and landline numbers, ID card numbers, room numbers; e-mail addresses, and QQ
# numbers and WeChat IDs where the text names them as such (QQ：12345678, 微信号 abc_123).
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_QQ = re.compile(r"(?<![A-Za-z])(qq(?:号码|号)?\s*[:：]?\s*)[1-9]\d{4,11}(?!\d)", re.IGNORECASE)
_WECHAT = re.compile(
    r"((?:微信号?|(?<![A-Za-z])(?:vx|wx|weixin|wechat)(?:号|\s*id)?)\s*[:：]?\s*)"
    r"[A-Za-z][-_A-Za-z0-9]{5,19}(?![-_A-Za-z0-9])",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_ROOM = re.compile(r"(?:\d{1,2}\s*(?:单元|号楼|栋|-)\s*)?\d{3,4}\s*(?:号房|室|房)")
# A room written without 室 after its building or unit (1栋501, 2单元501号, 5栋1单元1202):
# the number is blanked, the building and unit kept as the masked address keeps them.
_BARE_ROOM = re.compile(r"((?:单元|号楼|栋|幢)\s*)\d{3,4}(?:号)?(?!\d)")
REDACTED = "***"


def scrub_text(text, names=()):
    """Free text (a description, a reply, a title made of the caller's words) with phone,
    ID and room numbers, e-mail addresses, QQ numbers and WeChat IDs blanked out, and
    the given names masked (张三 → 张*): for what leaves the access-logged screens, the
    public Open311 documents and notifications."""
    text = text or ""
    for name in names:
        name = (name or "").strip()
        if len(name) >= 2:
            text = text.replace(name, name[0] + "*" * (len(name) - 1))
    text = _EMAIL.sub(REDACTED, text)  # before the phones: 13812341234@163.com is one
    for pattern in (_QQ, _WECHAT):
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    for pattern in (_ID_NUMBER, _PHONE, _LANDLINE, _ROOM):
        text = pattern.sub(REDACTED, text)
    return _BARE_ROOM.sub(lambda match: match.group(1) + REDACTED, text)
