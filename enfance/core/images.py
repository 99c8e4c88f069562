"""Uploaded photos: checked by content, size-capped, re-encoded (which drops EXIF)."""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_SIDE = 800
Image.MAX_IMAGE_PIXELS = 40_000_000  # a decompression bomb fails instead of eating the memory


def clean_photo(upload):
    """Return a fresh JPEG file built from the upload's pixels, or raise a French ValidationError."""
    if upload.size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(_("La photo dépasse 5 Mo. Choisissez une image plus légère."), code="too_large")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            kind = probe.format
            probe.verify()
        if kind not in ALLOWED_FORMATS:
            raise ValidationError(_("La photo doit être une image JPEG, PNG ou WebP."), code="format")
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)  # no exif= argument: metadata dropped
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("Ce fichier n'est pas une image lisible. Choisissez une photo JPEG, PNG ou WebP."), code="invalid"
        ) from None
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")
