"""Bookings, absences and registrations as requests of the registry (enfance/changes/registry.py).

A submission is one request; bookings and absences carry a line per child, unit and day, each with its own
outcome. Bookings, cancellations and absences are applied at once by default (a parent must know on the spot
whether the child eats at the canteen tomorrow): `default_auto`, and staff check them afterwards in the
"à contrôler" list; an administrator may switch each type to manual checking, and a pending manual booking
holds no place (its lines are judged again, capacity included, when staff approve). Registrations wait for
staff, as every other request of the commune.

The work happens in `decide_lines`, inside the approval's transaction, through the booking services and their
one lock order (the household and the request are locked before, by changes.services).
"""

import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from enfance.changes import registry
from enfance.changes import services as requests
from enfance.changes.models import ChangeRequest, RequestLine
from enfance.core import attachments
from enfance.families.models import Child, ChildLink

from . import absences, bookings, registrations
from .bookings import BookingRefused, Line
from .models import Absence, Activity, Booking, Registration, Unit

Kind = ChangeRequest.Kind
Outcome = RequestLine.Outcome
GROUP = gettext_lazy("Activités")
BOOK, CANCEL = "book", "cancel"


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def day_label(day):
    return date_format(day, "l j F Y")


def booking_line(action, child, unit, day):
    """The payload of one line: what is asked, with the names shown later (the unit may be renamed since)."""
    return {"action": action, "child": child.pk, "unit": unit.pk, "day": day.isoformat(),
            "child_name": child.first_name, "unit_name": f"{unit.activity.name} – {unit.name}"}


class BookingsType(registry.RequestType):
    key = "bookings"
    label = gettext_lazy("Réservations et annulations")
    multi_line = True
    default_auto = True
    notify_when_auto = False
    group = GROUP

    def owner_label(self, request):
        return str(self.label)

    def line_conflict_key(self, request, line):
        p = line.payload
        return f"booking:c{p.get('child')}:u{p.get('unit')}:d{p.get('day')}"

    def line_label(self, line):
        p = line.payload
        day = _date(p.get("day"))
        what = _("Réserver") if p.get("action") == BOOK else _("Annuler")
        return f"{what} : {p.get('child_name', '')} – {p.get('unit_name', '')} – {day_label(day) if day else ''}"

    def _read(self, request, lines):
        """{line.pk: (action, child, unit, day)} for the lines that name this household's child and a unit;
        {line.pk: refusal} for the others."""
        payloads = {line.pk: line.payload if isinstance(line.payload, dict) else {} for line in lines}
        child_ids = {_int(p.get("child")) for p in payloads.values()} - {None}
        unit_ids = {_int(p.get("unit")) for p in payloads.values()} - {None}
        linked = set(ChildLink.objects.filter(family=request.family_id, child_id__in=child_ids)
                     .values_list("child_id", flat=True))
        children = {c.pk: c for c in Child.objects.filter(pk__in=linked)}
        units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids).select_related("activity")}
        read, refused = {}, {}
        for pk, p in payloads.items():
            child, unit = children.get(_int(p.get("child"))), units.get(_int(p.get("unit")))
            day, action = _date(p.get("day")), p.get("action")
            if child is None or unit is None or day is None or action not in (BOOK, CANCEL):
                refused[pk] = registry.LineOutcome(Outcome.REFUSED, _("Cette ligne ne désigne pas une réservation "
                                                                      "possible de votre foyer."))
            else:
                read[pk] = (action, child, unit, day)
        return read, refused

    def judge_submission(self, request, lines):
        """Lines refused at once, before any lock: wrong child, closed day, deadline, age (capacity is judged at
        the decision)."""
        read, refused = self._read(request, lines)
        book = {pk: Line(child, unit, day) for pk, (action, child, unit, day) in read.items() if action == BOOK}
        for pk, refusal in bookings.refusals(family=request.family, lines=book).items():
            refused[pk] = registry.LineOutcome(Outcome.REFUSED, refusal.message)
        return refused

    def decide_lines(self, request, lines):
        read, outcomes = self._read(request, lines)
        book = {pk: Line(child, unit, day) for pk, (action, child, unit, day) in read.items() if action == BOOK}
        wanted = {pk: (child, unit, day) for pk, (action, child, unit, day) in read.items() if action == CANCEL}
        live = {(b.child_id, b.unit_id, b.day): b for b in Booking.objects.filter(
            child__in={c for c, _u, _d in wanted.values()}, unit__in={u for _c, u, _d in wanted.values()},
            day__in={d for _c, _u, d in wanted.values()}).exclude(state=Booking.State.CANCELLED)}
        cancel = {}
        for pk, (child, unit, day) in wanted.items():
            booking = live.get((child.pk, unit.pk, day))
            if booking is None:
                outcomes[pk] = registry.LineOutcome(Outcome.REFUSED, _("Rien à annuler : pas de réservation ce jour."))
            else:
                cancel[pk] = booking
        # Deadlines as when the household asked: a request checked by hand is not late because staff were busy.
        booked, cancelled = bookings.change_many(family=request.family, book=list(book.values()),
                                                 cancel=list(cancel.values()), user=request.created_by,
                                                 asked_at=request.created_at)
        for pk, (_line, result) in zip(book, booked, strict=True):
            outcomes[pk] = booked_outcome(result, request.created_at)
        for pk, (_booking, result) in zip(cancel, cancelled, strict=True):
            outcomes[pk] = registry.LineOutcome(Outcome.REFUSED, result.message) if isinstance(result, BookingRefused) \
                else registry.LineOutcome(Outcome.ACCEPTED, _("Annulé."))
        return outcomes

    def apply(self, request, target, *, actor, note, lines=None, attachments=()):
        """Done by decide_lines (the outcome of each line is the booking itself)."""


def booked_outcome(result, asked_at):
    if isinstance(result, BookingRefused):
        return registry.LineOutcome(Outcome.REFUSED, result.message)
    if result.state == Booking.State.WAITING:
        return registry.LineOutcome(Outcome.WAITING, _("Complet : en liste d'attente, rang %(n)s.")
                                    % {"n": result.waiting_position})
    if result.created_at < asked_at:
        return registry.LineOutcome(Outcome.ACCEPTED, _("Déjà réservé."))
    if result.late:
        surcharge = result.unit.activity.late_surcharge
        return registry.LineOutcome(Outcome.ACCEPTED, _("Réservé en retard : majoration de %(amount)s €.")
                                    % {"amount": f"{surcharge:.2f}".replace(".", ",")} if surcharge else
                                    _("Réservé en retard."))
    return registry.LineOutcome(Outcome.ACCEPTED, _("Réservé."))


CERTIFICATE = registry.AttachmentRule(
    attachments.DOCUMENT, label=gettext_lazy("Certificat médical (facultatif)"),
    help_text=attachments.DOCUMENT.help_text)


class AbsenceType(registry.RequestType):
    """An absence of one child over a range of days, a line per day and unit booked, each told whether it is
    billed and why; a medical certificate may come with it (health data: staff opening it is logged)."""

    key = "absence"
    label = gettext_lazy("Absence")
    multi_line = True
    default_auto = True
    notify_when_auto = False
    sensitive = True
    attachments = CERTIFICATE
    group = GROUP

    def owner_label(self, request):
        return _("Absence de %(name)s") % {"name": request.child.first_name} if request.child_id else str(self.label)

    def line_conflict_key(self, request, line):
        return f"absence:b{line.payload.get('booking')}"

    def line_label(self, line):
        day = _date(line.payload.get("day"))
        return f"{line.payload.get('unit_name', '')} – {day_label(day) if day else ''}"

    def rows(self, request, target):
        p = request.proposed
        first, last = _date(p.get("first_day")), _date(p.get("last_day"))
        reason = dict(Absence.Reason.choices).get(p.get("reason"), "")
        shown = [(_("Du"), day_label(first) if first else ""), (_("Au"), day_label(last) if last else ""),
                 (_("Motif"), str(reason)), (_("Précision"), p.get("note", ""))]
        return [registry.Row(key=str(i), label=str(label), proposed=value) for i, (label, value) in enumerate(shown)]

    def decide_lines(self, request, lines):
        p = request.proposed
        try:
            declared = absences.declare(family=request.family, child=request.child, first_day=_date(p["first_day"]),
                                        last_day=_date(p["last_day"]), reason=p["reason"], note=p.get("note", ""),
                                        user=request.created_by, asked_at=request.created_at)
        except BookingRefused as refusal:
            return {line.pk: registry.LineOutcome(Outcome.REFUSED, refusal.message) for line in lines}
        if p["reason"] == Absence.Reason.ILLNESS and attachments.of(request).filter(purged_at__isnull=True).exists():
            illness = next((a for a in declared if a.reason == Absence.Reason.ILLNESS), None)
            if illness is not None:
                absences.add_certificate(illness, at=request.created_at)
        by_booking = {a.booking_id: a for a in declared}
        billing = absences.billing_many(declared, now=request.created_at)
        outcomes = {}
        for line in lines:
            absence = by_booking.get(line.payload.get("booking"))
            outcomes[line.pk] = registry.LineOutcome(Outcome.REFUSED, _("Plus de réservation ce jour-là.")) \
                if absence is None else registry.LineOutcome(Outcome.ACCEPTED, billing[absence.pk].why)
        return outcomes

    def apply(self, request, target, *, actor, note, lines=None, attachments=()):
        """Done by decide_lines."""


def submit_absence(*, user, family, child, first_day, last_day, reason, note="", uploads=()):
    """An absence request: a line per day and unit the household booked for the child in the range.
    BookingRefused when it booked nothing there."""
    if last_day < first_day:
        raise BookingRefused(_("Le dernier jour de l'absence est avant le premier."))
    if (last_day - first_day).days >= absences.MAX_DAYS:
        raise BookingRefused(_("Signalez une absence de %(n)s jours au plus à la fois.") % {"n": absences.MAX_DAYS})
    booked = list(Booking.objects.filter(family=family, child=child, day__range=(first_day, last_day),
                                         state=Booking.State.BOOKED, absence__isnull=True)
                  .select_related("unit__activity").order_by("day", "unit_id"))
    if not booked:
        raise BookingRefused(_("Aucune réservation à votre nom pour %(name)s sur ces jours (ou l'absence est "
                               "déjà signalée).") % {"name": child.first_name})
    lines = [{"booking": b.pk, "day": b.day.isoformat(), "unit_name": f"{b.unit.activity.name} – {b.unit.name}"}
             for b in booked]
    return requests.submit("absence", user=user, family=family, child=child, kind=Kind.LINES, exclusive=False,
                           proposed={"first_day": first_day.isoformat(), "last_day": last_day.isoformat(),
                                     "reason": reason, "note": note}, lines=lines, uploads=uploads)


class CertificateType(registry.RequestType):
    """A medical certificate sent after the absence: it covers the whole illness."""

    key = "certificate"
    label = gettext_lazy("Certificat médical")
    default_auto = True
    notify_when_auto = False
    sensitive = True
    attachments = registry.AttachmentRule(attachments.DOCUMENT, required=True,
                                          label=gettext_lazy("Certificat médical"),
                                          help_text=attachments.DOCUMENT.help_text)
    group = GROUP

    def owner_label(self, request):
        return _("Certificat médical de %(name)s") % {"name": request.child.first_name} if request.child_id \
            else str(self.label)

    def _absences(self, request):
        return Absence.objects.filter(pk=request.target_id, booking__family=request.family_id,
                                      reason=Absence.Reason.ILLNESS)

    def current(self, request):
        return self._absences(request).select_related("booking__unit__activity").first()

    def lock(self, request):
        return self._absences(request).select_for_update(no_key=True).first()

    def rows(self, request, target):
        return [registry.Row(key="day", label=_("Absence du"), proposed=request.proposed.get("label", ""))]

    def conflicts(self, request, target):
        return {} if target is not None else {"__all__": (_("présente"), _("supprimée depuis"))}

    def apply(self, request, target, *, actor, note, lines=None, attachments=()):
        if target is None:
            raise requests.RequestError(_("Cette absence n'existe plus."))
        absences.add_certificate(target, at=request.created_at)


class RegistrationType(registry.RequestType):
    """Children of a household pre-registered to an activity for a period, with an optional weekly pattern:
    a line per child; approval registers each and books its pattern through the rules."""

    key = "registration"
    label = gettext_lazy("Inscription à une activité")
    multi_line = True
    group = GROUP

    def owner_label(self, request):
        return _("Inscription : %(activity)s") % {"activity": request.proposed.get("activity_name", "")}

    def line_conflict_key(self, request, line):
        return f"registration:c{line.payload.get('child')}:a{request.proposed.get('activity')}"

    def line_label(self, line):
        return line.payload.get("child_name", "")

    def rows(self, request, target):
        return pattern_rows(request.proposed)

    def _activity(self, request):
        return Activity.objects.filter(pk=_int(request.proposed.get("activity")), is_active=True).first()

    def validate_decision(self, request, target):
        if self._activity(request) is None:
            raise requests.RequestError(_("Cette activité n'est plus proposée."))

    def decide_lines(self, request, lines):
        p = request.proposed
        activity = self._activity(request)
        children = {c.pk: c for c in Child.objects.filter(pk__in=[_int(line.payload.get("child")) for line in lines])}
        wanted = [line for line in lines if _int(line.payload.get("child")) in children]
        outcomes = {line.pk: registry.LineOutcome(Outcome.REFUSED, _("Enfant inconnu.")) for line in lines
                    if line not in wanted}
        try:
            results = registrations.approve_many(
                family=request.family, children=[children[line.payload["child"]] for line in wanted],
                activity=activity, first_day=_date(p.get("first_day")), last_day=_date(p.get("last_day")),
                pattern=p.get("pattern") or {}, user=request.created_by)
        except BookingRefused as refusal:
            return {line.pk: registry.LineOutcome(Outcome.REFUSED, refusal.message) for line in lines}
        for line, (registration, booked) in zip(wanted, results, strict=True):
            if isinstance(registration, BookingRefused):
                outcomes[line.pk] = registry.LineOutcome(Outcome.REFUSED, registration.message)
            else:
                outcomes[line.pk] = registry.LineOutcome(Outcome.ACCEPTED, summary(booked))
        return outcomes

    def apply(self, request, target, *, actor, note, lines=None, attachments=()):
        """Done by decide_lines."""


def summary(results):
    """"Inscrit(e) : 34 jours réservés, 2 en liste d'attente, 3 refusés (motif)" for a pattern's bookings."""
    booked = sum(1 for _l, r in results if isinstance(r, Booking) and r.state == Booking.State.BOOKED)
    waiting = sum(1 for _l, r in results if isinstance(r, Booking) and r.state == Booking.State.WAITING)
    refused = [r.message for _l, r in results if isinstance(r, BookingRefused)]
    parts = [_("Inscrit(e).")]
    if results:
        parts.append(ngettext("%(n)s réservation faite", "%(n)s réservations faites", booked) % {"n": booked})
    if waiting:
        parts.append(ngettext("%(n)s en liste d'attente", "%(n)s en liste d'attente", waiting) % {"n": waiting})
    if refused:
        parts.append(ngettext("%(n)s refusée (%(why)s)", "%(n)s refusées (par exemple : %(why)s)", len(refused))
                     % {"n": len(refused), "why": refused[0].rstrip(".")})
    return " ".join(parts[:1]) + (" " + ", ".join(parts[1:]) + "." if parts[1:] else "")


WEEKDAYS = [gettext_lazy("lundi"), gettext_lazy("mardi"), gettext_lazy("mercredi"), gettext_lazy("jeudi"),
            gettext_lazy("vendredi"), gettext_lazy("samedi"), gettext_lazy("dimanche")]


def pattern_text(pattern):
    """"lundi : Repas ; jeudi : Repas" for a stored pattern {"0": [unit ids]}."""
    ids = {u for units in (pattern or {}).values() if isinstance(units, list) for u in units if _int(u)}
    names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
    parts = [f"{WEEKDAYS[int(d)]} : {', '.join(names.get(u, '?') for u in units)}"
             for d, units in sorted((pattern or {}).items()) if units and d in {str(i) for i in range(7)}]
    return " ; ".join(parts) or _("aucune réservation automatique")


def pattern_rows(p):
    first, last = _date(p.get("first_day")), _date(p.get("last_day"))
    shown = [(_("Activité"), p.get("activity_name", ""))]
    if first and last:
        shown.append((_("Période"), _("du %(first)s au %(last)s") % {"first": day_label(first),
                                                                      "last": day_label(last)}))
    if p.get("from_day") and _date(p["from_day"]):
        shown.append((_("À partir du"), day_label(_date(p["from_day"]))))
    if "pattern" in p:
        shown.append((_("Semaine type"), pattern_text(p.get("pattern"))))
    return [registry.Row(key=str(i), label=str(label), proposed=value) for i, (label, value) in enumerate(shown)]


class RegistrationChangeType(registry.RequestType):
    """A new weekly pattern from a day, or the end of a registration from a day (`proposed["end"]`)."""

    key = "registration_change"
    label = gettext_lazy("Changement d'inscription")
    group = GROUP

    def owner_label(self, request):
        what = _("Fin d'inscription") if request.proposed.get("end") else _("Nouvelle semaine type")
        return f"{what} : {request.proposed.get('activity_name', '')}"

    def _query(self, request):
        return Registration.objects.filter(pk=request.target_id, family=request.family_id)

    def current(self, request):
        return self._query(request).select_related("activity", "child").first()

    def lock(self, request):
        return self._query(request).select_for_update(no_key=True).first()

    def rows(self, request, target):
        """The new week as asked, beside the one the registration had when asked (and has now): once approved,
        the registration's pattern is the new one, so "now" alone would rewrite the history."""
        rows = pattern_rows(request.proposed)
        for row in rows:
            if row.label == str(_("Semaine type")):
                row.before = pattern_text(request.before.get("pattern"))
                row.current = pattern_text(target.pattern) if target is not None else ""
        return rows

    def conflicts(self, request, target):
        if target is None:
            return {"__all__": (_("présente"), _("supprimée depuis"))}
        if request.before.get("pattern") != target.pattern or request.before.get("last_day") != str(target.last_day):
            return {str(_("Inscription")): (pattern_text(request.before.get("pattern")), pattern_text(target.pattern))}
        return {}

    def apply(self, request, target, *, actor, note, lines=None, attachments=()):
        if target is None:
            raise requests.RequestError(_("Cette inscription n'existe plus."))
        from_day = _date(request.proposed.get("from_day"))
        try:
            # The deadlines of the moment the household asked: staff approving later cost it nothing.
            if request.proposed.get("end"):
                cancelled, booked = registrations.end(target, from_day=from_day, user=actor,
                                                      asked_at=request.created_at), []
            else:
                cancelled, booked = registrations.change_pattern(
                    target, from_day=from_day, pattern=request.proposed.get("pattern") or {}, user=actor,
                    asked_at=request.created_at)
        except BookingRefused as refusal:
            raise requests.RequestError(refusal.message) from None
        return change_summary(cancelled, booked)


def change_summary(cancelled, booked):
    """What the household reads of an approved change, besides staff's comment: the days that stay booked
    because their cancellation deadline has passed (they will be billed unless an absence is declared), and
    what the new pattern booked."""
    refused = [(b, result) for b, result in cancelled if isinstance(result, BookingRefused)]
    late = sorted({b.day for b, result in refused if result.code == BookingRefused.CANCEL_DEADLINE})
    parts = []
    done = sum(1 for b, result in cancelled if not isinstance(result, BookingRefused) and b.state == Booking.State.BOOKED)
    if done:
        parts.append(ngettext("%(n)s réservation annulée.", "%(n)s réservations annulées.", done) % {"n": done})
    if late:
        parts.append(ngettext(
            "Ce jour reste réservé, son délai d'annulation étant passé (déclarez une absence si besoin) : %(days)s.",
            "Ces jours restent réservés, leur délai d'annulation étant passé (déclarez une absence si besoin) : "
            "%(days)s.", len(late)) % {"days": ", ".join(day_label(day) for day in late)})
    for booking, result in sorted(refused, key=lambda pair: pair[0].day):
        if result.code != BookingRefused.CANCEL_DEADLINE:
            parts.append(_("Reste réservé le %(day)s : %(why)s") % {"day": day_label(booking.day),
                                                                   "why": result.message})
    made = summary(booked).removeprefix(_("Inscrit(e).")).strip() if booked else ""
    if made:
        parts.append(made[:1].upper() + made[1:])
    return "\n".join(part for part in parts if part)


def register_all():
    for request_type in (BookingsType(), AbsenceType(), CertificateType(), RegistrationType(),
                         RegistrationChangeType()):
        registry.register(request_type)


register_all()


def submit_bookings(*, user, family, lines):
    """One request of booking and cancelling lines (booking_line payloads), applied at once by default."""
    return requests.submit("bookings", user=user, family=family, kind=Kind.LINES, lines=lines, exclusive=False)
