"""Bookings at the desk: staff book, cancel and declare absences for a household (on the phone, at the counter),
may pass a deadline or a full unit with a reason (recorded in the audit trail), and check the requests applied
automatically ("à contrôler")."""

import datetime

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from enfance.accounts.decorators import staff_required
from enfance.activities import absences, bookings, family_calendar
from enfance.activities.models import Absence, Booking, Unit
from enfance.changes import services as requests
from enfance.core import audit
from enfance.core.models import AuditEntry
from enfance.core.pagination import paginate
from enfance.core.values import parse_id
from enfance.families import access
from enfance.portal.activity_forms import AbsenceForm
from enfance.portal.activity_views import MAX_LINES, _month, _month_end

from ._common import refuse_archived_family


class OverrideForm(forms.Form):
    deadline = forms.BooleanField(label=gettext_lazy("Passer outre les délais"), required=False)
    capacity = forms.BooleanField(label=gettext_lazy("Passer outre les places (au-delà de la capacité)"),
                                  required=False)
    reason = forms.CharField(label=gettext_lazy("Motif (obligatoire pour passer outre, gardé au journal)"),
                             required=False, max_length=300)

    def clean(self):
        data = super().clean()
        if (data.get("deadline") or data.get("capacity")) and not data.get("reason", "").strip():
            self.add_error("reason", _("Indiquez le motif : il est gardé au journal avec la réservation."))
        return data

    def override(self):
        data = self.cleaned_data
        if not (data.get("deadline") or data.get("capacity")):
            return None
        return bookings.Override(reason=data["reason"].strip(), deadline=bool(data["deadline"]),
                                 capacity=bool(data["capacity"]))


def _family(request, family_id):
    return access.get_family_for_staff(request.user, family_id)


def _children(family):
    return list(access.children_of(family).order_by("birth_date", "first_name"))


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def family_bookings(request, family_id):
    family = _family(request, family_id)
    first = _month(request.POST.get("mois") or request.GET.get("mois"), timezone.localdate())
    children = _children(family)
    override_form = OverrideForm(request.POST or None)
    if request.method == "POST":
        if (refused := refuse_archived_family(request, family)) is not None:
            return refused
        if override_form.is_valid():
            _apply(request, family, children, override_form.override())
            return redirect(f"{reverse('backoffice:family_bookings', args=[family.pk])}?"
                            f"{urlencode({'mois': first.strftime('%Y-%m')})}")
    # Staff see what the household cannot: the bookings of the other household (shared custody) are theirs too.
    weeks = family_calendar.build(family, first, _month_end(first), children=children, staff=True)
    return render(request, "backoffice/activities/family_bookings.html", {
        "family": family, "weeks": weeks, "month": first, "children": children, "override_form": override_form,
        "previous": (first - datetime.timedelta(days=1)).replace(day=1),
        "following": _month_end(first) + datetime.timedelta(days=1),
        "absences": _recent_absences(family), "section": "families",
    })


def _apply(request, family, children, override):
    """Book and cancel what changed against the page shown; a message per outcome. None when nothing was asked."""
    held = {k for k in request.POST.getlist("was") if family_calendar.parse_key(k)}
    checked = {k for k in request.POST.getlist("b") if family_calendar.parse_key(k)}
    book_keys, cancel_keys = sorted(checked - held), sorted(held - checked)
    if not book_keys and not cancel_keys:
        messages.info(request, _("Aucun changement."))
        return None
    if len(book_keys) + len(cancel_keys) > MAX_LINES:
        messages.error(request, _("Trop de changements à la fois."))
        return None
    by_id = {c.pk: c for c in children}
    parsed_book = [family_calendar.parse_key(k) for k in book_keys]
    parsed_cancel = [family_calendar.parse_key(k) for k in cancel_keys]
    units = {u.pk: u for u in Unit.objects.filter(pk__in={p[1] for p in parsed_book + parsed_cancel})}
    lines = [bookings.Line(by_id[c], units[u], d) for c, u, d in parsed_book if c in by_id and u in units]
    live = [b for b in Booking.objects.filter(family=family, child__in=children).exclude(state=Booking.State.CANCELLED)
            .filter(day__in={d for _c, _u, d in parsed_cancel}) if (b.child_id, b.unit_id, b.day) in
            {(c, u, d) for c, u, d in parsed_cancel}]
    booked, cancelled = bookings.change_many(family=family, book=lines, cancel=live, user=request.user,
                                             override=override)
    done = [line for line, result in booked if isinstance(result, Booking)]
    audit.record(actor=request.user, action=AuditEntry.Action.UPDATE, family=family, object_type="réservations",
                 object_repr=_("Réservations au guichet"),
                 changes={_("réservations"): ["", str(len(done))],
                          _("annulations"): ["", str(sum(1 for _b, r in cancelled if not isinstance(r, Exception)))]})
    for line, result in booked:
        what = f"{line.child.first_name}, {line.unit.name}, {line.day:%d/%m/%Y}"
        if isinstance(result, bookings.BookingRefused):
            messages.error(request, f"{what} : {result.message}")
        elif result.state == Booking.State.WAITING:
            messages.warning(request, _("%(what)s : liste d'attente, rang %(n)s.") % {"what": what,
                                                                                        "n": result.waiting_position})
        else:
            messages.success(request, _("%(what)s : réservé.") % {"what": what})
    for booking, result in cancelled:
        what = f"{booking.child.first_name}, {booking.day:%d/%m/%Y}"
        if isinstance(result, bookings.BookingRefused):
            messages.error(request, f"{what} : {result.message}")
        else:
            messages.success(request, _("%(what)s : annulé.") % {"what": what})
    return booked


def _recent_absences(family):
    since = timezone.localdate() - datetime.timedelta(days=62)
    found = list(Absence.objects.filter(booking__family=family, booking__day__gte=since)
                 .select_related("booking__child", "booking__unit__activity", "justified_by")
                 .order_by("-booking__day"))
    billing = absences.billing_many(found)
    for absence in found:
        absence.billing = billing[absence.pk]
    return found


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def family_absence(request, family_id):
    family = _family(request, family_id)
    children = access.children_of(family).order_by("birth_date", "first_name")
    day = timezone.localdate()
    form = AbsenceForm(request.POST or None, children=children, initial={"first_day": day, "last_day": day})
    if request.method == "POST":
        if (refused := refuse_archived_family(request, family)) is not None:
            return refused
        if form.is_valid():
            d = form.cleaned_data
            try:
                declared = absences.declare(family=family, child=d["child"], first_day=d["first_day"],
                                            last_day=d["last_day"], reason=d["reason"], note=d["note"],
                                            user=request.user)
            except bookings.BookingRefused as refusal:
                form.add_error("first_day", refusal.message)
            else:
                audit.record(actor=request.user, action=AuditEntry.Action.CREATE, family=family, child=d["child"],
                             object_type="absence", object_repr=_("Absence signalée au guichet"),
                             changes={_("jours"): ["", str(len(declared))]})
                messages.success(request, _("Absence enregistrée (%(n)s jour(s) réservé(s)).") % {"n": len(declared)})
                return redirect("backoffice:family_bookings", family.pk)
    return render(request, "backoffice/activities/family_absence.html", {
        "family": family, "form": form, "section": "families"})


@require_POST
@staff_required(edit=True)
def absence_justify(request, absence_id):
    absence = get_object_or_404(Absence.objects.filter(booking__family__in=access.families_visible_to(request.user))
                                .select_related("booking__family", "booking__child"), pk=absence_id)
    if (refused := refuse_archived_family(request, absence.booking.family)) is not None:
        return refused
    reason = request.POST.get("justification", "").strip()[:300]
    if not reason:
        messages.error(request, _("Indiquez la justification : elle est gardée au journal."))
    else:
        updated = Absence.objects.filter(pk=absence.pk, justified_by__isnull=True).update(
            justified_by=request.user, justification=reason)
        if updated:
            audit.record(actor=request.user, action=AuditEntry.Action.UPDATE, family=absence.booking.family,
                         child=absence.booking.child, object_type="absence", object_id=str(absence.pk),
                         object_repr=_("Absence justifiée"), changes={_("justification"): ["", reason]}, note=reason)
            messages.success(request, _("Absence justifiée : elle n'est pas facturée."))
        else:
            messages.info(request, _("Cette absence était déjà justifiée."))
    return redirect("backoffice:family_bookings", absence.booking.family_id)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def requests_to_check(request):
    if request.method == "POST":
        ids = [parse_id(i) for i in request.POST.getlist("demande") if parse_id(i) is not None][:500]
        marked = requests.mark_checked(ids, staff=request.user)
        messages.success(request, _("%(n)s demande(s) marquée(s) comme contrôlée(s).") % {"n": marked})
        return redirect("backoffice:requests_to_check")
    return render(request, "backoffice/activities/to_check.html", {
        "page": paginate(request, requests.to_check().prefetch_related("lines")), "section": "requests"})
