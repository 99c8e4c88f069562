"""Uploaded photos are checked by content, size-capped, resized and re-encoded without metadata."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from enfance.core.attachments import MAX_SIDE
from enfance.core.images import clean_photo


def upload(fmt, size=(1600, 1200), exif=None, name="photo"):
    buffer = io.BytesIO()
    image = Image.new("RGB", size, "green")
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **kwargs)
    return SimpleUploadedFile(f"{name}.{fmt.lower()}", buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def gps_exif():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (43.0, 36.0, 0.0)}  # GPS info
    return exif.tobytes()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_formats_are_reencoded_as_small_jpeg(fmt):
    cleaned = clean_photo(upload(fmt))
    image = Image.open(io.BytesIO(cleaned.read()))
    assert image.format == "JPEG"
    assert max(image.size) <= MAX_SIDE


def test_exif_metadata_is_dropped():
    original = upload("JPEG", exif=gps_exif())
    assert Image.open(io.BytesIO(original.read())).getexif()
    original.seek(0)
    cleaned = Image.open(io.BytesIO(clean_photo(original).read()))
    assert not cleaned.getexif()
    assert "exif" not in cleaned.info


def test_a_gif_is_refused_even_named_jpg():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    with pytest.raises(ValidationError, match="JPEG, PNG ou WebP"):
        clean_photo(SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg"))


def test_text_named_like_an_image_is_refused():
    with pytest.raises(ValidationError, match="pas une image lisible"):
        clean_photo(SimpleUploadedFile("photo.png", b"<html>not an image</html>", content_type="image/png"))


def test_a_truncated_image_is_refused():
    data = upload("PNG").read()[:200]
    with pytest.raises(ValidationError):
        clean_photo(SimpleUploadedFile("photo.png", data, content_type="image/png"))


def test_more_than_5_mb_is_refused_before_decoding(settings):
    settings.PHOTO_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="dépasse"):
        clean_photo(upload("PNG"))
