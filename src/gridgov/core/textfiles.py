"""Text files as Chinese offices save them: UTF-8 (with or without a byte-order mark),
GB18030 (Excel's and WPS's "CSV" on a Chinese Windows, a superset of GBK) and UTF-16 with
its byte-order mark (their "Unicode text")."""

import codecs


class NotText(ValueError):
    """The bytes are none of the encodings read."""


def decode(raw):
    """(text, encoding) of a file's bytes, trying UTF-16 (only behind its byte-order mark),
    UTF-8, then GB18030. UTF-8 first: GB18030 decodes almost any bytes, so a UTF-8 file
    must never reach it. The encoding says whether UTF-8 came with a byte-order mark
    ("utf-8-sig") or without ("utf-8"): what a file is answered in may follow it."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise NotText("neither UTF-8 nor GB18030 text")
