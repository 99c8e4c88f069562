"""Private files (photos, files sent with a request, PDFs): sent only by a view that has checked access."""

from django.http import FileResponse, Http404


def private_file_response(field_file, *, content_type, filename="", cache_seconds=0):
    """The stored file, or 404 when there is none or it is gone from the storage."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type, filename=filename)
    if cache_seconds:
        response["Cache-Control"] = f"private, max-age={cache_seconds}"
    return response


def photo_response(field_file):
    """A child's photo (always re-encoded to JPEG on upload); the browser may keep it 5 minutes."""
    return private_file_response(field_file, content_type="image/jpeg", cache_seconds=300)
