"""The household's certificates for a year with a régie: what it paid ("attestation de paiement") and the
childcare it paid for its children under 6, for the tax credit ("attestation de frais de garde", art. 200 quater B
of the Code général des impôts).

What was paid in a year is the payments received that year, net of their reversals (a reversal carries the day of
the payment it cancels). The childcare part follows this rule (docs/documents.md says it too):

- Childcare is the invoice lines whose tariff CESU may pay (`cesu=True`) of kind booked or billed absence: never a
  meal, never a late-booking or unbooked surcharge. An invoice's care per child is those lines, less the same lines
  its issued credit notes took back; its net total is its total less its credit notes.
- Only money allocated to an invoice counts (a credit left on the account is not paid for anything yet). A CESU
  allocation is care (CESU pays childcare only, payments.cesu_room), up to the invoice's care: CESU may also have
  paid a surcharge of a CESU tariff, which is no care. Any other allocation counts for the invoice's care pro rata of
  what CESU did not cover: (care - CESU's care) / (net total - CESU allocated), so that an invoice paid in full
  counts exactly its care, whatever the order and the means of its payments.
- An invoice's care paid in the year is split among its children in proportion to each one's care on it; the
  children under 6 on 1 January of the year are listed (born after 1 January of the year minus 6), the others not.
- The CESU préfinancés (payments of means "cesu") are shown apart, per child and in total: they are not
  deductible (the household declares what it paid less them and any other aid).
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from enfance.billing.models import Allocation, Invoice, InvoiceLine, Payment
from enfance.billing.money import ZERO, euros, money
from enfance.families.models import Child

from . import renderer
from .statement import household_fields, regie_fields

CARE_KINDS = (InvoiceLine.Kind.BOOKED, InvoiceLine.Kind.ABSENCE)
AGE_LIMIT = 6  # years, on 1 January of the year


def payment_years(family):
    """{régie id: [years with a payment, newest first]}: one query."""
    years = defaultdict(set)
    for regie_id, day in Payment.objects.filter(family=family).values_list("regie_id", "received_on").distinct():
        years[regie_id].add(day.year)
    return {regie_id: sorted(found, reverse=True) for regie_id, found in years.items()}


def payments_of(regie, family, year):
    """The payments and reversals received in the year, by date."""
    return list(Payment.objects.filter(regie=regie, family=family, received_on__year=year)
                .select_related("reverses").order_by("received_on", "pk"))


def _payment_label(payment):
    if payment.amount < 0:
        # Staff's reason for a reversal is theirs: the household reads that the payment was cancelled.
        return _("Paiement annulé : règlement du %(date)s") % {
            "date": payment.reverses.received_on.strftime("%d/%m/%Y")}
    return payment.reference


def build_payment(regie, family, year):
    found = payments_of(regie, family, year)
    total = money(sum((p.amount for p in found), ZERO))
    by_means = defaultdict(lambda: ZERO)
    for payment in found:
        by_means[payment.get_means_display()] += payment.amount
    table = {
        "headers": [_("Date"), _("Moyen de paiement"), _("Référence"), _("Montant")],
        "widths": [1.3, 2.4, 4.5, 1.6],
        "rows": [[p.received_on.strftime("%d/%m/%Y"), p.get_means_display(), _payment_label(p), euros(p.amount)]
                 for p in found],
        "empty": _("Aucun règlement reçu cette année."),
    }
    means = {
        "title": _("Par moyen de paiement"),
        "headers": [_("Moyen de paiement"), _("Montant")],
        "widths": [4, 1.6],
        "rows": [[label, euros(amount)] for label, amount in sorted(by_means.items())],
    }
    return {
        "title": _("Attestation de paiement"),
        "subtitle": _("Année %(year)s · dossier n° %(ref)s") % {"year": year, "ref": family.reference},
        "statement": _("La régie « %(regie)s » atteste avoir reçu du foyer ci-dessous, du 1er janvier au 31 décembre "
                       "%(year)s, les règlements suivants (annulations déduites).") % {"regie": regie.name,
                                                                                      "year": year},
        "sections": [
            {"title": _("Le foyer"), "fields": household_fields(family)},
            {"title": _("La régie"), "fields": regie_fields(regie)},
            {"title": _("Les règlements"), "tables": [table] + ([means] if found else [])},
        ],
        "total": _("Total payé en %(year)s : %(amount)s") % {"year": year, "amount": euros(total)},
        "total_amount": total,
        **_signature(regie),
    }


def _signature(regie):
    return {"place_date": _("Fait le %(date)s, pour valoir ce que de droit.") % {
                "date": renderer.long_date(timezone.localdate())},
            "signature": _("Le régisseur de la régie « %(regie)s »") % {"regie": regie.name}}


def care_paid(regie, family, year):
    """{child id: (care paid in the year, of which CESU)} by the rule of the module's docstring: six queries."""
    allocations = list(Allocation.objects.filter(payment__regie=regie, payment__family=family,
                                                 payment__received_on__year=year,
                                                 invoice__state=Invoice.State.ISSUED)
                       .values("invoice_id", "payment__means").annotate(total=Sum("amount")))
    ids = {row["invoice_id"] for row in allocations}
    if not ids:
        return {}
    totals = dict(Invoice.objects.filter(pk__in=ids).values_list("pk", "total"))
    for row in (Invoice.objects.filter(corrects_id__in=ids, state=Invoice.State.ISSUED).values("corrects_id")
                .annotate(credited=Sum("total"))):
        totals[row["corrects_id"]] -= row["credited"]
    care = defaultdict(lambda: defaultdict(lambda: ZERO))  # {invoice: {child: care}}
    for row in (InvoiceLine.objects.filter(invoice_id__in=ids, cesu=True, kind__in=CARE_KINDS)
                .values("invoice_id", "child_id").annotate(total=Sum("amount"))):
        care[row["invoice_id"]][row["child_id"]] += row["total"]
    for row in (InvoiceLine.objects.filter(invoice__corrects_id__in=ids, invoice__state=Invoice.State.ISSUED,
                                           kind=InvoiceLine.Kind.CREDIT, credits_kind__in=CARE_KINDS, cesu=True)
                .values("invoice__corrects_id", "child_id").annotate(total=Sum("amount"))):
        care[row["invoice__corrects_id"]][row["child_id"]] -= row["total"]
    cesu_ever = dict(Allocation.objects.filter(invoice_id__in=ids, payment__means=Payment.Means.CESU)
                     .values("invoice_id").annotate(total=Sum("amount")).values_list("invoice_id", "total"))
    in_year = defaultdict(lambda: [ZERO, ZERO])  # {invoice: [CESU, other]}
    for row in allocations:
        in_year[row["invoice_id"]][0 if row["payment__means"] == Payment.Means.CESU else 1] += row["total"]
    paid = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for invoice_id, (cesu, other) in in_year.items():
        children = {child: max(amount, ZERO) for child, amount in care[invoice_id].items()}
        all_care = sum(children.values(), ZERO)
        if all_care <= 0:
            continue
        cesu_all = cesu_ever.get(invoice_id) or ZERO
        # CESU may also pay a surcharge of a CESU tariff (payments.cesu_room): it is care up to the care only.
        cesu_ratio = min(all_care / cesu_all, Decimal(1)) if cesu_all > 0 else Decimal(0)
        rest = totals[invoice_id] - cesu_all
        care_left = all_care - cesu_all * cesu_ratio
        ratio = min(max(care_left / rest, Decimal(0)), Decimal(1)) if rest > 0 else Decimal(0)
        cesu_care = cesu * cesu_ratio
        invoice_care = cesu_care + other * ratio
        for child, amount in children.items():
            share = amount / all_care
            paid[child][0] += invoice_care * share
            paid[child][1] += cesu_care * share
    return {child: (money(total), money(cesu)) for child, (total, cesu) in paid.items()}


def young_children(children, year):
    """The children under AGE_LIMIT on 1 January of the year (born after that day AGE_LIMIT years before)."""
    limit = datetime.date(year - AGE_LIMIT, 1, 1)
    return [c for c in children if c.birth_date is not None and c.birth_date > limit]


def build_tax(regie, family, year):
    paid = care_paid(regie, family, year)
    children = young_children(Child.objects.filter(pk__in=paid).order_by("birth_date", "pk"), year)
    rows, total, total_cesu = [], ZERO, ZERO
    for child in children:
        amount, cesu = paid[child.pk]
        total, total_cesu = total + amount, total_cesu + cesu
        rows.append([f"{child.first_name} {child.last_name}", child.birth_date.strftime("%d/%m/%Y"), euros(amount),
                     euros(cesu), euros(amount - cesu)])
    table = {
        "headers": [_("Enfant"), _("Né(e) le"), _("Frais de garde payés"), _("dont CESU préfinancés"),
                    _("Payé hors CESU préfinancés")],
        "widths": [3.2, 1.4, 1.8, 1.8, 1.9],
        "rows": rows,
        "empty": _("Aucun frais de garde payé cette année pour un enfant de moins de 6 ans au 1er janvier."),
    }
    if rows:
        table["rows"] = rows + [[_("Total"), "", euros(total), euros(total_cesu), euros(total - total_cesu)]]
    cesu_received = money(sum((p.amount for p in payments_of(regie, family, year)
                               if p.means == Payment.Means.CESU), ZERO))
    return {
        "title": _("Attestation de frais de garde"),
        "subtitle": _("Année %(year)s · dossier n° %(ref)s") % {"year": year, "ref": family.reference},
        "statement": _("La régie « %(regie)s » atteste que le foyer ci-dessous a payé en %(year)s, pour la garde de "
                       "ses enfants de moins de 6 ans au 1er janvier %(year)s, les sommes suivantes (article 200 "
                       "quater B du Code général des impôts).") % {"regie": regie.name, "year": year},
        "sections": [
            {"title": _("Le foyer"), "fields": household_fields(family)},
            {"title": _("La régie"), "fields": regie_fields(regie)},
            {"title": _("Frais de garde payés en %(year)s") % {"year": year}, "tables": [table]},
        ],
        "total": _("Frais de garde payés en %(year)s : %(amount)s, dont %(cesu)s en CESU préfinancés") % {
            "year": year, "amount": euros(total), "cesu": euros(total_cesu)},
        "total_amount": total,
        "cesu_amount": total_cesu,
        "notes": [
            _("Les frais de garde sont les journées et les absences facturées des accueils de garde ; les repas "
              "et les majorations (réservation tardive, présence sans réservation) en sont "
              "exclus."),
            _("Ils sont la part de garde de chaque règlement reçu dans l'année et affecté à une facture, au prorata "
              "de la part de garde de cette facture ; un CESU ne paie que de la garde."),
            _("CESU reçus en %(year)s, toutes factures confondues : %(amount)s. Les CESU préfinancés par un "
              "employeur ne sont pas déductibles : déclarez les sommes payées diminuées de ces CESU et des autres "
              "aides reçues.") % {"year": year, "amount": euros(cesu_received)},
        ],
        **_signature(regie),
    }


def render_payment(regie, family, year):
    return renderer.Edition(renderer.render("payment_certificate", build_payment(regie, family, year)),
                            renderer.filename(_("attestation-paiement"), year, regie.code, family.reference))


def render_tax(regie, family, year):
    return renderer.Edition(renderer.render("tax_certificate", build_tax(regie, family, year)),
                            renderer.filename(_("attestation-frais-de-garde"), year, regie.code, family.reference))
