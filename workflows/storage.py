"""Where citizens' photos live: outside MEDIA_ROOT, so no web server path ever serves them.

Staff see a photo only through the scoped, audited admin view (opinions:photo).
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse
from django.utils.deconstruct import deconstructible


@deconstructible
class PrivateStorage(FileSystemStorage):
    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return str(settings.LIANLUO_PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("私密文件没有公开网址。Private files have no public URL.")


private_storage = PrivateStorage()


def private_file_response(file) -> FileResponse:
    """A stored private file, to the one person asking (never kept by a cache on the way)."""
    response = FileResponse(file.open("rb"))
    response["Cache-Control"] = "private, no-store"
    return response
