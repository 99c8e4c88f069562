"""Rows of the permission matrix (tests/url_table.py) for the invoice runs, régies and tariffs, and a
household's quotient familial. Agents and administrators only (leaders see nothing of billing);
administrators alone edit régies and tariffs. The builders make what they name (idempotent): a régie billing
the Wednesday activity, a tariff of its first unit, a previewed run with a draft for the scope's household."""

import datetime
from decimal import Decimal

from tests.url_table import ADMIN, AGENT, STAFF, Route

PERIOD = (datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))


def _unit():
    from enfance.activities.catalogue import create_catalogue

    return create_catalogue()["wednesday"].units.order_by("pk").first()


def _the_regie():
    from enfance.billing.models import Regie, RegieActivity

    unit = _unit()
    regie, _ = Regie.objects.get_or_create(code="MATRICE", defaults={"name": "Régie de la matrice"})
    RegieActivity.objects.get_or_create(activity=unit.activity, defaults={"regie": regie})
    return regie


def _the_run(s):
    from enfance.billing.models import Invoice, InvoiceLine, InvoiceRun

    regie = _the_regie()
    run = regie.runs.order_by("pk").first()
    if run is None:
        run = InvoiceRun.objects.create(regie=regie, first_day=PERIOD[0], last_day=PERIOD[1],
                                        state=InvoiceRun.State.PREVIEWED, households_total=1, households_done=1,
                                        anomalies=[{"family": s.family.reference, "family_id": s.family.pk,
                                                    "kind": "no_qf", "text": "Pas de quotient familial."}])
    invoice = Invoice.objects.filter(run=run, family=s.family).first()
    if invoice is None:
        invoice = Invoice.objects.create(regie=regie, family=s.family, run=run, first_day=PERIOD[0],
                                         last_day=PERIOD[1], total=Decimal("7.00"))
        unit = _unit()
        child = s.child or s.family.children.first()
        if child is not None:
            InvoiceLine.objects.create(invoice=invoice, child=child, unit=unit, kind=InvoiceLine.Kind.BOOKED,
                                       label=f"{child.first_name} – {unit}", days=["2026-12-02"], quantity=1,
                                       unit_price=Decimal("7.00"), amount=Decimal("7.00"), rule="Tranche 3")
    return run, invoice


def _run(s):
    return {"run_id": _the_run(s)[0].pk}


def _run_draft(s):
    run, invoice = _the_run(s)
    return {"run_id": run.pk, "invoice_id": invoice.pk}


def _regie(s):
    return {"regie_id": _the_regie().pk}


def _unit_kwargs(s):
    return {"unit_id": _unit().pk}


def _tariff(s):
    from enfance.billing.models import Tariff, TariffBracket

    tariff, created = Tariff.objects.get_or_create(unit=_unit(), valid_from=datetime.date(2026, 9, 1))
    if created:
        TariffBracket.objects.create(tariff=tariff, label="Tranche 1", qf_max=None, price=Decimal("7.00"))
    return {"tariff_id": tariff.pk}


def _family(s):
    return {"family_id": s.family.pk}


ROUTES = {
    "backoffice:billing": Route(STAFF, role=AGENT),
    "backoffice:run_new": Route(STAFF, role=AGENT),
    "backoffice:run": Route(STAFF, kwargs=_run, role=AGENT),
    "backoffice:run_progress": Route(STAFF, kwargs=_run, role=AGENT),
    "backoffice:run_draft": Route(STAFF, kwargs=_run_draft, role=AGENT),
    # GET: the confirmation page (what the issue or the abandon will do); the POSTs redirect to the run page
    # (with a French message when refused)
    "backoffice:run_issue": Route(STAFF, kwargs=_run, role=AGENT),
    "backoffice:run_discard": Route(STAFF, kwargs=_run, role=AGENT),
    "backoffice:run_again": Route(STAFF, kwargs=_run, role=AGENT, post_only=True, ok=302),
    "backoffice:regies": Route(STAFF, role=AGENT),  # agents read, administrators edit
    "backoffice:regie_new": Route(STAFF, role=ADMIN),
    "backoffice:regie_edit": Route(STAFF, kwargs=_regie, role=ADMIN),
    "backoffice:tariffs": Route(STAFF, role=AGENT),  # agents read, administrators edit
    "backoffice:tariff_new": Route(STAFF, kwargs=_unit_kwargs, role=ADMIN),
    "backoffice:tariff_edit": Route(STAFF, kwargs=_tariff, role=ADMIN),
    # the household's QF history and a new QF (the household page's card posts here)
    "backoffice:family_quotient": Route(STAFF, kwargs=_family, role=AGENT),
}
