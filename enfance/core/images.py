"""Uploaded photos: checked by content, size-capped, re-encoded (which drops EXIF); see core.attachments."""

from django.core.files.uploadedfile import SimpleUploadedFile

from . import attachments


def clean_photo(upload):
    """Return a fresh JPEG file built from the upload's pixels, or raise a French ValidationError."""
    cleaned = attachments.clean(upload, attachments.PHOTO)
    return SimpleUploadedFile("photo.jpg", cleaned.content, content_type="image/jpeg")
