"""A logo setting that names no readable image is said at start-up, not found on the first printed page."""

from pathlib import Path

from django.conf import settings
from django.core import checks

LOGO_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}


@checks.register(checks.Tags.compatibility)
def commune_logo_is_readable(app_configs, **kwargs):
    path = settings.COMMUNE_LOGO
    if not path:
        return []
    if Path(path).suffix.lower() not in LOGO_SUFFIXES or not Path(path).is_file():
        return [checks.Warning(f"ENFANCE_COMMUNE_LOGO={path!r} is not an image file (PNG, JPEG, GIF, WebP or SVG): "
                               "the PDF editions print the commune's name without a logo", id="documents.W001")]
    return []
