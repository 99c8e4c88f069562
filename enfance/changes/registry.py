"""The request types: each domain app registers its own from `AppConfig.ready()`.

`changes` knows how a request moves (submitted, decided, cancelled), never what it is about:
a request type says how its target is found and locked, which raw values it keeps, how it
is checked when submitted and again when decided, how its values are shown, how it is
applied, what a conflict is, and which files it takes. So a phone number, a week of bookings
or a new absence with its medical certificate all go through the same services and pages.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

_TYPES = {}


@dataclass
class Row:
    """One value of a request as people read it: when asked, now, and what is asked."""

    key: str
    label: str
    before: str = ""
    current: str = ""
    proposed: str = ""
    changed: bool = True  # the household asks to change it
    moved: bool = False  # it changed since the request was made


@dataclass
class LineOutcome:
    """What the decision does to one line of a multi-line request (a booking: booked, waiting, refused)."""

    outcome: str
    reason: str = ""


@dataclass
class AttachmentRule:
    """Files a request type takes: the policy (core.attachments), whether one is required, and what happens to
    them once decided: "drop" (a copy, like the photo that now lives on the child) or "retain" (a document that
    justifies the decision, kept for the commune's retention period)."""

    policy: object
    required: bool = False
    label: str = ""
    after_decision: str = "retain"  # or "drop"
    help_text: str = ""


class RequestType:
    """Base class: subclasses override what differs. Single-line types work on `request.before`/`proposed`."""

    key = ""
    label = ""
    sensitive = False  # staff opening it is logged as a health-data access
    attachments = None  # an AttachmentRule, or None when the type takes no file
    multi_line = False
    auto_approvable = True  # whether a commune may switch it to automatic approval
    default_auto = False  # applied at once until an administrator says otherwise (bookings: the family must know)
    notify_when_auto = True  # False: an automatic decision sends no notice (the household saw it on the spot)
    group = ""  # heading of the settings page

    # --- target --------------------------------------------------------------------------------
    def lock(self, request):
        """Lock (select_for_update) and return the record the request changes, or None when it has none yet.

        Called inside the decision's transaction, before the conflict check."""
        return None

    def current(self, request):
        """The target as it is now, without a lock (review pages)."""
        return None

    def owner_label(self, request):
        """What the request is about, in words ("Données sanitaires de Léa")."""
        return str(self.label)

    # --- values ---------------------------------------------------------------------------------
    def rows(self, request, target):
        return []

    def conflicts(self, request, target):
        """{label: (value when asked, value now)} for what changed under the request; empty when none."""
        return {}

    # --- checks -----------------------------------------------------------------------------------
    def validate_decision(self, request, target):
        """Raise changes.services.RequestError when the request can no longer be applied."""

    # --- lines -------------------------------------------------------------------------------------
    def line_conflict_key(self, request, line):
        """Two open lines with one key cannot coexist (a booking: child, unit, day)."""
        return ""

    def judge_submission(self, request, lines):
        """{line.pk: LineOutcome} for the lines refused as soon as they are submitted (a booking past its deadline)."""
        return {}

    def decide_lines(self, request, lines):
        """{line.pk: LineOutcome} for an approval, judged now (capacity, eligibility)."""
        return {line.pk: LineOutcome("accepted") for line in lines}

    def line_label(self, line):
        return str(line.payload)

    # --- apply -------------------------------------------------------------------------------------
    def apply(self, request, target, *, actor, note, lines=None, attachments=()):
        """Carry out the approved request on `target` (locked). May return a text for the household, added to
        staff's answer: what the application could not do as asked."""
        raise NotImplementedError

    def on_decided(self, request):
        """After any decision (approved, refused, cancelled), inside its transaction."""


def register(request_type):
    if request_type.key in _TYPES:
        raise ValueError(f"request type {request_type.key!r} registered twice")
    _TYPES[request_type.key] = request_type
    return request_type


def get(key):
    return _TYPES[key]


def find(key):
    return _TYPES.get(key)


def all_types():
    return list(_TYPES.values())


def choices():
    return [(t.key, t.label) for t in _TYPES.values()]


UNKNOWN_LABEL = _("Demande d'un type retiré")

