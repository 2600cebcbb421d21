"""Taking an opinion in: receipt numbers, double-submit safety, photos without EXIF.

`submit()` is the one way an opinion is created, whether a citizen sends the public form or
staff enter a walk-in, phone, letter or deputy-forwarded opinion on a citizen's behalf. It
stores the opinion and its photos in one transaction and returns it with its receipt
number; the same idempotency key submitted twice (or fifty times at once) gives back the
one opinion stored the first time.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass, field, fields

from PIL import Image, ImageOps, UnidentifiedImageError

from django.core import signing
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from workflows.models import Channel, Opinion, OpinionPhoto
from workflows.opinions import OPINIONS
from workflows.process import ACTORLESS_NAMES, CITIZEN

MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# Formats accepted and stored as another one. Pillow reports many phone JPEGs (Android
# Ultra HDR, iPhone photos with a gain map) as MPO: a JPEG followed by further frames.
# Only the first frame, the photo itself, is kept, re-encoded as a plain JPEG.
STORED_AS = {"MPO": "JPEG"}
RATING_SALT = "lianluo.opinion.rating"


class IntakeError(Exception):
    """A submission refused, with the reason in Chinese."""


@dataclass
class Submission:
    station: object  # StationPage
    category: object
    title: str
    content: str
    citizen_name: str
    citizen_phone: str
    publish_consent: bool = False
    channel: str = Channel.ONLINE
    received_by_deputy: object | None = None
    received_on: object | None = None  # datetime.date of the reception day
    entered_by: object | None = None
    originator: object | None = None  # a deputy's 直通车 item: the deputy follows and rates it, no phone
    idempotency_key: str | None = None
    photos: list = field(default_factory=list)  # uploaded files

    @classmethod
    def from_cleaned_data(cls, data: dict, **fixed) -> Submission:
        """A submission from a form's cleaned_data; `fixed` values win over the form's."""
        names = {f.name for f in fields(cls)}
        values = {name: value for name, value in data.items() if name in names and value is not None}
        return cls(**{**values, **fixed})


def normalise_phone(raw: str) -> str:
    digits = re.sub(r"[\s-]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def clean_photo(upload) -> ContentFile:
    """The photo re-encoded without metadata (EXIF location included), or IntakeError."""
    if upload.size > MAX_PHOTO_BYTES:
        raise IntakeError(f"照片“{upload.name}”超过 5 MB，请压缩后再传。")
    try:
        upload.seek(0)
        image = Image.open(upload)
        image_format = STORED_AS.get(image.format, image.format)
        if image_format not in PHOTO_FORMATS:
            raise IntakeError(f"“{upload.name}”不是 JPG、PNG 或 WebP 图片。")
        if image.width * image.height > MAX_PHOTO_PIXELS:
            raise IntakeError(f"照片“{upload.name}”尺寸过大。")
        image.seek(0)  # a multi-frame file (MPO): the first frame is the photo
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise IntakeError(f"“{upload.name}”不是可以识别的图片文件。") from error
    image = ImageOps.exif_transpose(image)  # keep the orientation, drop the metadata
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format=image_format)  # no exif= / pnginfo: nothing but pixels is written
    extension = PHOTO_FORMATS[image_format]
    content = ContentFile(out.getvalue(), name=f"{secrets.token_hex(8)}.{extension}")
    content.width, content.height = image.size
    return content


def validate(submission: Submission) -> list[ContentFile]:
    """Check everything before anything is written; returns the cleaned photos."""
    errors = []
    if not (submission.title or "").strip():
        errors.append("请填写标题。")
    elif len(submission.title.strip()) > 60:
        errors.append("标题不能超过 60 字。")
    content = (submission.content or "").strip()
    if len(content) < 5:
        errors.append("请把意见内容写清楚（至少 5 个字）。")
    elif len(content) > 2000:
        errors.append("意见内容不能超过 2000 字。")
    if not (submission.citizen_name or "").strip():
        errors.append("请填写姓名。")
    elif len(submission.citizen_name.strip()) > 30:
        errors.append("姓名不能超过 30 字。")
    # A deputy's 直通车 item and a deliberation meeting's resolution have no citizen to call back.
    phoneless = submission.originator is not None or submission.channel == Channel.DELIBERATION
    if not phoneless and not MOBILE.match(normalise_phone(submission.citizen_phone)):
        errors.append("请填写 11 位中国大陆手机号码。")
    if submission.channel not in Channel.values:
        errors.append("渠道无效。")
    if len(submission.photos) > MAX_PHOTOS:
        errors.append(f"最多上传 {MAX_PHOTOS} 张照片。")
    if errors:
        raise IntakeError(" ".join(errors))
    return [clean_photo(upload) for upload in submission.photos]


def new_receipt_no() -> str:
    """YJ + date + 6 random digits: not guessable in sequence, readable over the phone."""
    return f"YJ{timezone.localdate():%y%m%d}{secrets.randbelow(10**6):06d}"


def submit(submission: Submission) -> tuple[Opinion, bool]:
    """Store the opinion (and its photos) and return (opinion, created).

    Raises IntakeError with a Chinese message when anything is wrong; then nothing is stored.
    """
    if submission.idempotency_key:
        existing = Opinion.objects.filter(idempotency_key=submission.idempotency_key).first()
        if existing is not None:
            return existing, False
    photos = validate(submission)
    phone = normalise_phone(submission.citizen_phone)
    station = submission.station
    for _attempt in range(5):
        try:
            with transaction.atomic():
                opinion = Opinion.objects.create(
                    receipt_no=new_receipt_no(),
                    idempotency_key=submission.idempotency_key or None,
                    origin_station_id=station.pk,
                    station_id=station.pk,
                    street_id=station.street_id,
                    category=submission.category,
                    title=submission.title.strip(),
                    content=submission.content.strip(),
                    citizen_name=submission.citizen_name.strip(),
                    citizen_phone=phone,
                    phone_last4=phone[-4:],
                    publish_consent=bool(submission.publish_consent),
                    channel=submission.channel,
                    received_by_deputy=submission.received_by_deputy,
                    received_on=submission.received_on,
                    entered_by=submission.entered_by,
                    originator=submission.originator,
                )
                for photo in photos:
                    OpinionPhoto.objects.create(opinion=opinion, file=photo, width=photo.width, height=photo.height)
                OPINIONS.created(
                    opinion,
                    user=submission.entered_by,
                    username=ACTORLESS_NAMES[CITIZEN],
                    channel=submission.channel,
                    station=station.title,
                )
            return opinion, True
        except IntegrityError:
            if submission.idempotency_key:
                existing = Opinion.objects.filter(idempotency_key=submission.idempotency_key).first()
                if existing is not None:
                    return existing, False
            # Otherwise a receipt number collided: draw another.
    raise IntakeError("系统繁忙，请稍后再试。")


def rating_token(opinion: Opinion) -> str:
    """The receipt's signed link token: the same for an opinion every time it is asked for
    (no timestamp), so a form posted twice lands on the same receipt address."""
    return signing.Signer(salt=RATING_SALT).sign_object(opinion.receipt_no)


def opinion_for_rating_token(token: str) -> Opinion | None:
    signer = signing.Signer(salt=RATING_SALT)
    try:
        if token.count(signer.sep) == 2:  # a link given out before tokens stopped carrying a time
            receipt_no = signing.loads(token, salt=RATING_SALT)
        else:
            receipt_no = signer.unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    return Opinion.objects.filter(receipt_no=receipt_no).first()


def lookup(receipt_no: str, phone_last4: str) -> Opinion | None:
    """The opinion for a receipt number and the last 4 digits of its phone, else None."""
    receipt_no = (receipt_no or "").strip().upper()
    phone_last4 = (phone_last4 or "").strip()
    if not receipt_no or not re.fullmatch(r"\d{4}", phone_last4):
        return None
    return Opinion.objects.filter(receipt_no=receipt_no, phone_last4=phone_last4).first()
