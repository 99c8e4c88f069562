"""Private files: one response helper for photos, request files and PDFs."""

import pytest
from django.core.files.base import ContentFile
from django.http import Http404

from enfance.core.files import photo_response, private_file_response
from tests.factories import ChildFactory


@pytest.mark.django_db
def test_a_photo_is_sent_as_jpeg_and_kept_privately_for_five_minutes():
    child = ChildFactory()
    child.photo.save("p.jpg", ContentFile(b"jpeg bytes"))
    response = photo_response(child.photo)
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=300"
    assert b"".join(response.streaming_content) == b"jpeg bytes"


@pytest.mark.django_db
def test_no_file_or_a_file_gone_from_the_storage_is_a_404():
    child = ChildFactory()
    with pytest.raises(Http404):
        private_file_response(child.photo, content_type="image/jpeg")
    child.photo.name = "photos/gone.jpg"  # the row names a file the storage no longer has
    with pytest.raises(Http404):
        private_file_response(child.photo, content_type="image/jpeg")
