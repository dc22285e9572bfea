"""Hostile and unusual photo uploads (photos.clean_photo): every bad file is a PhotoError
(a 400 for the caller), never an exception from the decoder (a 500)."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from gridgov.tickets import photos


def png_bytes(size=(10, 10), mode="RGB"):
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def with_chunk_before_idat(png, chunk):
    at = png.index(b"IDAT") - 4
    return png[:at] + chunk + png[at:]


def upload(data, name="photo.png"):
    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize(
    "chunk",
    [
        # 2 MB of text compressed to a few KB: over Pillow's 1 MB MAX_TEXT_CHUNK.
        png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"a" * 2_000_000)),
        png_chunk(b"iTXt", b"Comment\0\1\0\0\0" + zlib.compress(b"a" * 2_000_000)),
        png_chunk(b"iCCP", b"icc\0\0" + zlib.compress(b"a" * 2_000_000)),
    ],
    ids=["zTXt", "iTXt", "iCCP"],
)
def test_a_png_with_a_text_or_profile_bomb_is_refused_not_a_crash(chunk):
    # Pillow raises ValueError ("Decompressed data too large") for these, which the
    # decoder's except clause did not list: the upload was a 500.
    with pytest.raises(photos.PhotoError):
        photos.clean_photo(upload(with_chunk_before_idat(png_bytes(), chunk)))


def test_only_jpeg_and_png_parsers_are_tried():
    # A GIF, a TIFF or a BMP is refused before any of their decoders runs.
    for fmt in ("GIF", "TIFF", "BMP"):
        out = io.BytesIO()
        Image.new("RGB", (8, 8)).save(out, fmt)
        with pytest.raises(photos.PhotoError):
            photos.clean_photo(upload(out.getvalue(), f"x.{fmt.lower()}"))


def blank_png(width, height):
    """A valid 8-bit grey PNG of width × height that compresses to almost nothing (built row
    by row, so the test does not hold the decoded image)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = b"\0" * (width + 1)  # filter byte + pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_before_it_is_decoded(monkeypatch):
    # 8000 × 7000 = 56 million pixels in about 60 KB: under Pillow's own limits (a warning
    # from 89 million, an error from 179 million), so it used to be decoded in full.
    bomb = blank_png(8000, 7000)
    assert len(bomb) < 100_000
    decoded, load = [], ImageFile.ImageFile.load

    def recorded_load(self):
        decoded.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recorded_load)
    with pytest.raises(photos.PhotoError) as refused:
        photos.clean_photo(upload(bomb))
    assert "50" in str(refused.value)
    assert decoded == []  # refused from the header, before any pixel was inflated


def test_a_photo_at_the_pixel_limit_is_taken():
    content, width, height = photos.clean_photo(upload(blank_png(8000, 6000)))  # 48 MP
    assert (width, height) == (4096, 3072)


def test_a_multi_picture_jpeg_from_a_phone_is_taken_as_its_first_picture():
    # Phones write JPEGs that carry a second picture (a depth map, a preview) in an MPF
    # block; Pillow calls them MPO. They are JPEG photos: kept as the main picture only.
    out = io.BytesIO()
    main, extra = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (32, 24), "blue")
    main.save(out, "MPO", save_all=True, append_images=[extra])
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    content, width, height = photos.clean_photo(upload(out.getvalue(), "IMG_0001.jpg"))
    assert content.name.endswith(".jpg") and (width, height) == (64, 48)
    stored = Image.open(io.BytesIO(content.read()))
    assert stored.format == "JPEG" and getattr(stored, "n_frames", 1) == 1
    assert "mp" not in stored.info
    assert stored.getpixel((10, 10))[0] > 200  # the red main picture, not the blue one


def test_a_stream_without_a_size_is_read_no_further_than_the_limit():
    # An upload object that does not know its size (a stream from another client library):
    # it used to be read to its end before the 10 MB check.
    class Stream:
        name = "photo.jpg"
        asked = []

        def read(self, n=-1):
            self.asked.append(n)
            return b"\xff" * (photos.MAX_BYTES + 1 if n < 0 else n)

    stream = Stream()
    with pytest.raises(photos.PhotoError):
        photos.clean_photo(stream)
    assert stream.asked == [photos.MAX_BYTES + 1]


def jpeg_and_png_with_metadata():
    from PIL import PngImagePlugin

    exif = Image.Exif()
    exif[0x010F] = "PhoneMakerX"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif.get_ifd(0x8825).update({1: "N", 2: (39.0, 54.0, 30.0)})  # GPS
    xmp = b"<x:xmpmeta><GPSLatitude>39.9</GPSLatitude></x:xmpmeta>"
    jpeg = io.BytesIO()
    Image.new("RGB", (60, 30), "red").save(
        jpeg, "JPEG", exif=exif.tobytes(), xmp=xmp, comment=b"13812341234", icc_profile=b"ICC" * 9
    )
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "13812341234")
    text.add_itxt("XML:com.adobe.xmp", xmp.decode())
    png = io.BytesIO()
    Image.new("RGB", (60, 30), "red").save(png, "PNG", pnginfo=text, exif=exif.tobytes())
    return {"jpeg": jpeg.getvalue(), "png": png.getvalue()}


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_no_exif_gps_xmp_comment_or_text_chunk_survives_and_the_orientation_is_applied(kind):
    content, width, height = photos.clean_photo(upload(jpeg_and_png_with_metadata()[kind]))
    raw = content.read()
    for secret in (b"PhoneMakerX", b"xmpmeta", b"GPSLatitude", b"13812341234", b"ICCICC"):
        assert secret not in raw
    stored = Image.open(io.BytesIO(raw))
    assert len(stored.getexif()) == 0
    assert not {"exif", "xmp", "comment", "Author", "XML:com.adobe.xmp", "icc_profile"} & set(
        stored.info
    )
    assert (width, height) == stored.size == (30, 60)  # turned upright, then stripped


@pytest.mark.parametrize("mode", ["CMYK", "P", "L", "1", "LA", "RGBA", "I;16"])
def test_unusual_modes_are_re_encoded(mode):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    out = io.BytesIO()
    Image.new(mode, (4200, 8)).save(out, fmt)  # wide enough to be scaled down too
    content, width, _height = photos.clean_photo(upload(out.getvalue()))
    stored = Image.open(io.BytesIO(content.read()))
    assert width == photos.MAX_SIDE and stored.format == fmt
    assert stored.mode == ("RGB" if mode == "CMYK" else mode)


def _s15(value):
    return struct.pack(">i", round(value * 65536))


def _icc_matrix_profile(red, green, blue):
    """A minimal ICC v2 display profile (primaries as D50 XYZ, gamma 2.2): enough for lcms."""

    def xyz(x, y, z):
        return b"XYZ " + b"\0" * 4 + _s15(x) + _s15(y) + _s15(z)

    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    tags = [
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(*red)),
        (b"gXYZ", xyz(*green)),
        (b"bXYZ", xyz(*blue)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    header = (
        struct.pack(">I", offset + len(body))
        + b"\0" * 4
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"\0" * 48
    )
    return header + struct.pack(">I", len(tags)) + table + body


# sRGB's primaries (D50), red and green swapped: a pixel stored as pure "red" shows green.
SWAPPED = _icc_matrix_profile(
    (0.3851, 0.7169, 0.0971), (0.4361, 0.2225, 0.0139), (0.1431, 0.0606, 0.7141)
)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_colours_are_converted_from_the_embedded_profile_to_srgb_and_the_profile_dropped(fmt):
    """A phone's Display P3 photo, its profile dropped unconverted, came out dull: the
    colours shown are those its profile says, in sRGB, and no profile is published."""
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (255, 0, 0)).save(out, fmt, icc_profile=SWAPPED)
    content, _width, _height = photos.clean_photo(upload(out.getvalue()))
    stored = Image.open(io.BytesIO(content.read()))
    red, green, blue = stored.convert("RGB").getpixel((20, 20))
    assert green > 230 and red < 25 and blue < 25
    assert "icc_profile" not in stored.info
