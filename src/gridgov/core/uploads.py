"""A bound on multipart request bodies, checked before any of them is read.

DATA_UPLOAD_MAX_MEMORY_SIZE does not count file data, so Django takes in an upload of
any size (into memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then into a temporary file)
before a view can say a photo may have at most 10 MB or an import 20 MB. This handler,
first in FILE_UPLOAD_HANDLERS, refuses a body whose Content-Length is over
GRIDGOV_MAX_UPLOAD_BYTES (never less than an import file's limit and a megabyte of form)
with RequestDataTooBig: a 400, and not a byte read. A proxy in front (client_max_body_size)
should say the same; this holds without one (waitress, gunicorn).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler

FORM_BYTES = 1024 * 1024  # the fields around the files


def max_upload_bytes():
    configured = int(getattr(settings, "GRIDGOV_MAX_UPLOAD_BYTES", 0) or 0)
    return max(configured, settings.GRIDGOV_MAX_IMPORT_BYTES + FORM_BYTES)


class BoundedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > max_upload_bytes():
            raise RequestDataTooBig(
                f"Request body of {content_length} bytes exceeds GRIDGOV_MAX_UPLOAD_BYTES."
            )
        return None  # go on with the next handlers

    def receive_data_chunk(self, raw_data, start):
        return raw_data  # passed on to the next handler

    def file_complete(self, file_size):
        return None
