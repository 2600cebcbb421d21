"""Neutral portrait avatars for the demo's deputies, drawn with Pillow on this machine.

No faces and no text: a head-and-shoulders silhouette on a soft background. A dozen variants
(six colours, two outlines) are drawn once and shared by every deputy, so a district of any
size costs twelve small PNGs; they are ordinary Wagtail images in their own collection, so
the public pages show them through renditions exactly as they would a real photo. They are
part of the demo district: `--reset` removes them with it (`forget_portraits`).
"""

from __future__ import annotations

import io

from PIL import Image as PILImage
from PIL import ImageDraw

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction

from wagtail.images import get_image_model
from wagtail.models import Collection
from wagtail.search.models import IndexEntry

from content.models import DEPUTY_PHOTO_SPEC

COLLECTION_NAME = "演示头像"
TITLE = "演示头像 {n:02d}"
# Drawn at twice the rendition's 240×300 (4:5), so the fill crop has nothing to cut.
SIZE = (480, 600)
# (background, silhouette): soft tones, the silhouette a darker shade of the same hue.
PALETTE = (
    ("#e3ebf3", "#8fa3b8"),
    ("#e6efe6", "#8fab90"),
    ("#f2ebe1", "#b39f86"),
    ("#ece6f1", "#a192b3"),
    ("#e2eeee", "#86aaa9"),
    ("#efe8e8", "#ad9595"),
)
# Outlines: 0 plain shoulders, 1 an open collar.
OUTLINES = 2
VARIANTS = len(PALETTE) * OUTLINES


def draw_portrait(variant: int) -> bytes:
    """One avatar as PNG bytes: variant // OUTLINES picks the colours, variant % OUTLINES the
    outline (plain shoulders, or an open collar)."""
    background, figure = PALETTE[(variant // OUTLINES) % len(PALETTE)]
    outline = variant % OUTLINES
    w, h = SIZE
    image = PILImage.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(image)
    cx = w // 2
    # Shoulders: a broad rounded block rising from below the frame; then neck and head.
    draw.rounded_rectangle((cx - 215, 425, cx + 215, h + 160), radius=170, fill=figure)
    draw.rectangle((cx - 42, 330, cx + 42, 440), fill=figure)
    draw.ellipse((cx - 90, 150, cx + 90, 365), fill=figure)
    if outline == 1:
        # An open collar: a V in the background colour below the neck.
        draw.polygon(((cx - 62, 432), (cx + 62, 432), (cx, 540)), fill=background)
        draw.polygon(((cx - 40, 432), (cx + 40, 432), (cx, 500)), fill=figure)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def portrait_collection() -> Collection:
    root = Collection.get_first_root_node()
    return root.get_children().filter(name=COLLECTION_NAME).first() or root.add_child(name=COLLECTION_NAME)


def demo_portraits() -> list[int]:
    """The ids of the demo's avatar images, drawing (and rendering) the missing ones."""
    Image = get_image_model()
    collection = portrait_collection()
    existing = {image.title: image for image in Image.objects.filter(collection=collection)}
    ids = []
    for n in range(1, VARIANTS + 1):
        title = TITLE.format(n=n)
        image = existing.get(title)
        if image is None:
            image = Image(
                title=title, collection=collection, file=ContentFile(draw_portrait(n - 1), f"demo-portrait-{n:02d}.png")
            )
            image._set_image_file_metadata()  # size and hash, as an upload in the admin records them
            image.save()
        # The wall's rendition now, so the first visitor does not wait for twelve of them.
        image.get_rendition(DEPUTY_PHOTO_SPEC)
        ids.append(image.pk)
    return ids


def portrait_for(key: int, portraits: list[int]) -> int:
    """The avatar of the deputy with plan key `key`: neighbours on a wall differ in colour."""
    colour = key % len(PALETTE)
    outline = (key // len(PALETTE)) % OUTLINES
    return portraits[(colour * OUTLINES + outline) % len(portraits)]


def forget_portraits() -> int:
    """Delete the demo's avatars, their renditions, search-index rows and (once the reset
    commits) their files: also when the reset has muted the delete signals that would."""
    Image = get_image_model()
    images = list(Image.objects.filter(collection__name=COLLECTION_NAME).prefetch_related("renditions"))
    if not images:
        return 0
    names = [name for image in images for name in (image.file.name, *(r.file.name for r in image.renditions.all()))]
    storage = images[0].file.storage
    ids = [image.pk for image in images]
    IndexEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Image), object_id__in=[str(pk) for pk in ids]
    ).delete()
    Image.objects.filter(pk__in=ids).delete()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return len(ids)
