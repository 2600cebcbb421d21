"""Attachments staff upload with a report or a reply: checked and cleaned before they are kept.

A PDF is kept as it is; an image is re-encoded without its metadata (`workflows.intake.clean_photo`);
with `office=True`, a Word (.docx) or Excel (.xlsx) file is kept as it is once it proves to be
one: the ZIP signature, the extension, the Office package's own parts, and no macros (a file
with a VBA project is refused, whatever its name). Anything else is refused with `IntakeError`
and a message in Chinese; the caller turns it into its own error. The stored name is random:
the original name is the caller's to keep, as text.
"""

from __future__ import annotations

import secrets
import zipfile

from django.core.files.base import ContentFile

from workflows.intake import IntakeError, clean_photo

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
# extension → the folder every such Office package holds
OFFICE_PACKAGES = {"docx": "word/", "xlsx": "xl/"}


def clean_attachment(upload, *, office: bool = False) -> ContentFile:
    """The upload, fit to keep, or IntakeError saying why not."""
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise IntakeError(f"附件“{upload.name}”超过 10 MB。")
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        return ContentFile(upload.read(), name=f"{secrets.token_hex(8)}.pdf")
    if office and head.startswith(ZIP_MAGIC):
        return _office_file(upload)
    try:
        return clean_photo(upload)
    except IntakeError:
        kinds = "PDF、Word（.docx）、Excel（.xlsx）文件" if office else "PDF 文件"
        raise IntakeError(f"附件“{upload.name}”须为 {kinds}或 JPG、PNG、WebP 图片。") from None


def _office_file(upload) -> ContentFile:
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    folder = OFFICE_PACKAGES.get(extension)
    refused = IntakeError(f"附件“{upload.name}”不是有效的 Word（.docx）或 Excel（.xlsx）文件。")
    if folder is None:
        raise refused
    try:
        with zipfile.ZipFile(upload) as package:
            names = package.namelist()
    except (zipfile.BadZipFile, OSError):
        raise refused from None
    if "[Content_Types].xml" not in names or not any(name.startswith(folder) for name in names):
        raise refused
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise IntakeError(f"附件“{upload.name}”含有宏，不能上传；请另存为不含宏的文件。")
    upload.seek(0)
    return ContentFile(upload.read(), name=f"{secrets.token_hex(8)}.{extension}")
