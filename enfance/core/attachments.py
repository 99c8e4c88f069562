"""Files people send (a child's photo, an avis d'imposition, a medical certificate).

Checked by their content (never by the name or the browser's content type), size-capped,
fingerprinted (SHA-256) and kept in the private storage; images are re-encoded, which drops
their metadata. An attachment belongs to one owner (a request, later a message), named by
`owner_type` and `owner_id`, so that any domain app can hold files without this module
knowing it. Files are served only by views that first found the owner through its access helper.
"""

import datetime
import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

from .models import Attachment

MB = 1024 * 1024
PDF, JPEG, PNG, WEBP = "pdf", "jpeg", "png", "webp"
CONTENT_TYPES = {PDF: "application/pdf", JPEG: "image/jpeg", PNG: "image/png", WEBP: "image/webp"}
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png", WEBP: "webp"}
FORMAT_NAMES = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG", WEBP: "WebP"}
PIL_FORMATS = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}
MAX_SIDE = 800
MAX_PIXELS = 25_000_000
UPLOAD_ROOT = "attachments"
Image.MAX_IMAGE_PIXELS = 40_000_000  # a decompression bomb fails instead of eating the memory


@dataclass(frozen=True)
class Policy:
    """What a kind of attachment may be. `reencode`: images become a fresh JPEG (the photo)."""

    name: str
    label: str
    formats: tuple
    size_setting: str = "ATTACHMENT_MAX_BYTES"
    max_count: int = 1
    reencode: bool = False
    help_text: str = ""

    @property
    def max_bytes(self):
        return getattr(settings, self.size_setting)

    @property
    def accept(self):
        return ",".join(CONTENT_TYPES[f] for f in self.formats)

    @property
    def formats_label(self):
        names = [FORMAT_NAMES[f] for f in self.formats]
        return names[0] if len(names) == 1 else _("%(list)s ou %(last)s") % {"list": ", ".join(names[:-1]),
                                                                              "last": names[-1]}

    @property
    def images_only(self):
        return PDF not in self.formats


PHOTO = Policy("photo", gettext_lazy("Photo"), (JPEG, PNG, WEBP), reencode=True, size_setting="PHOTO_MAX_BYTES",
               help_text=gettext_lazy("JPEG, PNG ou WebP, 5 Mo au plus. Elle est recadrée et ses métadonnées "
                                      "sont supprimées."))
DOCUMENT = Policy("document", gettext_lazy("Justificatif"), (PDF, JPEG, PNG),
                  help_text=gettext_lazy("PDF, JPEG ou PNG, 5 Mo au plus."))


@dataclass
class CleanFile:
    content: bytes
    kind: str
    original_name: str

    @property
    def content_type(self):
        return CONTENT_TYPES[self.kind]

    @property
    def sha256(self):
        return hashlib.sha256(self.content).hexdigest()


def _sniff(head):
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"GIF8" or head[:2] in (b"BM", b"II", b"MM"):
        return "other-image"  # recognised, never accepted
    return None


def _not_readable(policy):
    if policy.images_only:
        return ValidationError(_("Ce fichier n'est pas une image lisible. Choisissez une photo %(formats)s.")
                               % {"formats": policy.formats_label}, code="invalid")
    return ValidationError(_("Ce fichier n'est pas lisible. Choisissez un fichier %(formats)s.")
                           % {"formats": policy.formats_label}, code="invalid")


def _check_image(data, policy):
    """The pixels decode; for a photo, a fresh JPEG built from them (no metadata), at most 800 px a side."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = PIL_FORMATS.get(probe.format)
            probe.verify()
        if kind not in policy.formats:
            raise ValidationError(_("Le fichier doit être au format %(formats)s.") % {"formats": policy.formats_label},
                                  code="format")
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
        if width * height > MAX_PIXELS:  # checked before decoding: a small file may hold a huge image
            raise ValidationError(_("Cette image est trop grande (%(w)d × %(h)d pixels). Choisissez une image plus "
                                    "petite ou un PDF.") % {"w": width, "h": height}, code="too_many_pixels")
        if not policy.reencode:
            # A document keeps its format and size, not its metadata (a phone's JPEG carries where it was taken).
            with Image.open(io.BytesIO(data)) as image:
                image = ImageOps.exif_transpose(image)
                out = io.BytesIO()
                if kind == JPEG:
                    image.convert("RGB").save(out, format="JPEG", quality=90)
                else:
                    image.save(out, format="PNG", optimize=True)
            return out.getvalue(), kind
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)  # no exif= argument: metadata dropped
        return out.getvalue(), JPEG
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _not_readable(policy) from None


def _check_pdf(data, policy):
    # A PDF starts with its header and ends with %%EOF (possibly followed by whitespace).
    if b"%%EOF" not in data[-1024:]:
        raise _not_readable(policy)
    return data, PDF


def clean(upload, policy):
    """A CleanFile from an uploaded file, or a French ValidationError saying what is wrong."""
    size = getattr(upload, "size", None)
    if size is not None and size > policy.max_bytes:
        raise ValidationError(_("Le fichier dépasse %(mb)d Mo. Choisissez un fichier plus léger.")
                              % {"mb": max(1, policy.max_bytes // MB)}, code="too_large")
    upload.seek(0)
    data = upload.read(policy.max_bytes + 1)
    if len(data) > policy.max_bytes:
        raise ValidationError(_("Le fichier dépasse %(mb)d Mo. Choisissez un fichier plus léger.")
                              % {"mb": max(1, policy.max_bytes // MB)}, code="too_large")
    if not data:
        raise ValidationError(_("Le fichier est vide."), code="empty")
    kind = _sniff(data[:16])
    if kind is None or (kind == PDF and policy.images_only):
        raise _not_readable(policy)
    if kind not in policy.formats:
        raise ValidationError(_("Le fichier doit être au format %(formats)s.") % {"formats": policy.formats_label},
                              code="format")
    content, kind = _check_pdf(data, policy) if kind == PDF else _check_image(data, policy)
    name = (getattr(upload, "name", "") or "fichier").rsplit("/", 1)[-1][:100]
    return CleanFile(content=content, kind=kind, original_name=name)


def owner_type_of(owner):
    return owner._meta.label_lower


def store(clean_file, *, owner, role, uploaded_by=None):
    """Save a checked file for `owner`; the file is removed again if the transaction rolls back."""
    attachment = Attachment(
        owner_type=owner_type_of(owner), owner_id=owner.pk, role=role, original_name=clean_file.original_name,
        content_type=clean_file.content_type, size=len(clean_file.content), sha256=clean_file.sha256,
        uploaded_by=uploaded_by if uploaded_by is not None and uploaded_by.is_authenticated else None,
    )
    attachment.file.save(f"{clean_file.sha256[:16]}.{EXTENSIONS[clean_file.kind]}", ContentFile(clean_file.content),
                         save=False)
    # A rollback leaves the file without its row: orphan files are removed by the sweep (purge_orphans).
    attachment.save()
    return attachment


def of(owner, role=None):
    attachments = Attachment.objects.filter(owner_type=owner_type_of(owner), owner_id=owner.pk)
    if role is not None:
        attachments = attachments.filter(role=role)
    return attachments


def retention_deadline():
    return timezone.now() + datetime.timedelta(days=settings.ATTACHMENT_RETENTION_DAYS)


def keep_until(attachments, deadline):
    Attachment.objects.filter(pk__in=[a.pk for a in attachments], purged_at__isnull=True).update(retain_until=deadline)


def purge(attachments):
    """Remove the files from the storage (once the transaction commits); the rows stay as a trace."""
    attachments = [a for a in attachments if a.purged_at is None]
    if not attachments:
        return 0
    now = timezone.now()
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).update(purged_at=now, retain_until=None)
    names = [(a.file.storage, a.file.name) for a in attachments if a.file]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])
    return len(attachments)


def purge_expired(now=None):
    """Attachments whose retention period is over: the sweep runs this every minute."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(Attachment.objects.select_for_update(skip_locked=True)
                       .filter(retain_until__lt=now, purged_at__isnull=True))
        return purge(expired)


def response(attachment, *, inline=False):
    """The file with its true content type; documents download, images may show inline (an <img>)."""
    if attachment.purged_at is not None or not attachment.file:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    as_download = not (inline and attachment.content_type.startswith("image/"))
    result = FileResponse(handle, content_type=attachment.content_type, as_attachment=as_download,
                          filename=attachment.original_name)
    result["Cache-Control"] = "private, no-store"
    return result


def purge_orphans(*, older_than=datetime.timedelta(hours=1)):
    """Files of the attachments folder that no row names (a transaction that rolled back after saving one)."""
    from django.core.files.storage import default_storage

    known = set(Attachment.objects.values_list("file", flat=True))
    limit = timezone.now() - older_than
    removed = 0
    for folder in _folders(default_storage, UPLOAD_ROOT):
        for name in default_storage.listdir(folder)[1]:
            path = f"{folder}/{name}"
            if path not in known and default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
                removed += 1
    return removed


def _folders(storage, root):
    if not storage.exists(root):
        return []
    result = [root]
    for sub in storage.listdir(root)[0]:
        result += _folders(storage, f"{root}/{sub}")
    return result
