"""The invoice ("avis des sommes à payer") and the credit note, as PDF/A-2b archived once at the issue.

An issued invoice never changes, nor does its PDF: `archive()` renders each issued invoice or credit note once
and stores it in `Invoice.pdf` (the default, private storage); an existing PDF is never made again, so the
household's paper is byte for byte the one it received, whatever the templates become. runs.after_issue archives
a run's invoices; `stored_pdf()` makes a missing one when it is asked for (same function).

The wording of the legal mentions (art. L1617-5 CGCT) is the portal invoice page's
(portal/templates/portal/billing/invoice.html): both say the same.
"""

import copy
import functools
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Case, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from enfance.billing import billing_identity
from enfance.billing.models import Invoice
from enfance.billing.money import ZERO, euros
from enfance.billing.portal_queries import days_text, period_text
from enfance.core.text import de_name

from . import renderer

logger = logging.getLogger(__name__)
TEMPLATE = "invoice"
BATCH = 200  # invoices read (with their lines) per query


def _balance_text(amount):
    if amount > 0:
        return euros(amount)
    if amount < 0:
        return _("%(amount)s (un crédit en votre faveur)") % {"amount": euros(amount)}
    return _("aucun (0,00 €)")


def _lines(invoice):
    return [{
        "label": line.label,
        "kind": line.get_kind_display()
        + (f" ({line.get_credits_kind_display().lower()})" if line.credits_kind else ""),
        "days": days_text(line.days),
        "calc": f"{line.quantity} × {euros(line.unit_price)}",
        "amount": euros(line.amount),
        "rule": line.rule,
    } for line in invoice.lines.all()]


def _legal(invoice, regie):
    # A copy: the memo's own lists are shared by every invoice of the régie, whichever household's.
    return copy.deepcopy(_legal_texts(get_language(), regie.name, invoice.is_credit_note, settings.COMMUNE_NAME,
                        settings.COMMUNE_ADDRESS))


@functools.lru_cache(maxsize=64)
def _legal_texts(_language, regie_name, credit, commune_name, commune_address):
    """The legal mentions, the same for every invoice of a régie: worded once, not at each of thousands."""
    de_commune = de_name(commune_name)
    items = [
        {"label": _("Émetteur"),
         "text": [_("Mairie %(de_commune)s (la commune, représentée par son maire), régie de recettes « %(regie)s »")
                  % {"de_commune": de_commune, "regie": regie_name}, commune_address]},
        {"label": _("Fondement des sommes"),
         "text": [_("Les montants résultent des tarifs des services (restauration scolaire, accueil périscolaire, "
                    "accueil de loisirs) fixés par délibération du conseil municipal %(de_commune)s, appliqués "
                    "selon le quotient familial de votre foyer aux prestations réservées ou reçues, dans le respect "
                    "des conditions de fonctionnement des services. Chaque ligne ci-dessus indique la règle "
                    "appliquée.") % {"de_commune": de_commune}]},
        {"label": _("Voies et délais de recours"),
         "text": [_("Dans le délai de deux mois suivant la réception de ce document (article L1617-5 du code général "
                    "des collectivités territoriales), vous pouvez contester la somme réclamée en saisissant "
                    "directement le tribunal judiciaire ou le tribunal administratif compétent, selon la nature de "
                    "la créance. L'introduction de ce recours suspend le recouvrement de la somme contestée."),
                  _("Si un acte de poursuite vous est notifié, vous pouvez en contester la régularité en la forme "
                    "dans les deux mois suivant sa notification, devant le juge de l'exécution."),
                  _("Avant tout recours, vous pouvez demander des explications à la régie ou à la mairie.")]},
    ]
    if not credit:
        items.append({"label": _("À défaut de paiement"),
                      "text": [_("Une somme non payée à la date limite pourra faire l'objet d'un titre de recettes "
                                 "exécutoire, dont le recouvrement sera confié au comptable public (centre des "
                                 "finances publiques).")]})
    return items


def _online_text(regie):
    """The card payment on the portal, when the régie takes one: said on the paper too, with where to go."""
    from enfance.payments import config  # payments builds on billing and documents: imported when used

    if not config.provider_name(regie):
        return ""
    return _("par carte bancaire, en ligne, sur le Portail Famille (%(url)s), rubrique « Mes factures » ;") % {
        "url": settings.SITE_URL.rstrip("/") + reverse("portal:invoices")}


def build(invoice):
    """The template's data for an issued invoice or credit note (its regie, corrects and lines read)."""
    regie, billed = invoice.regie, invoice.billed_to or {}
    credit = invoice.is_credit_note
    issued = renderer.long_date(timezone.localdate(invoice.issued_at)) if invoice.issued_at else ""
    period = period_text(invoice.first_day, invoice.last_day)
    after = invoice.previous_balance + invoice.signed_total
    number_label = (_("Avoir n° %(number)s") if credit else _("Facture n° %(number)s")) % {"number": invoice.number}
    header = [{"label": _("Numéro"), "value": invoice.number},
              {"label": _("Émis le") if credit else _("Émise le"), "value": issued},
              {"label": _("Période"), "value": period}]
    if credit:
        corrects = invoice.corrects
        header.append({"label": _("Corrige"), "value": (
            _("la facture n° %(number)s du %(date)s") % {
                "number": corrects.number, "date": renderer.long_date(timezone.localdate(corrects.issued_at))}
            if corrects is not None and corrects.issued_at else
            _("des jours facturés auparavant (voir les lignes)"))})
    else:
        header.append({"label": _("À payer avant le"),
                       "value": renderer.long_date(invoice.due_on) if invoice.due_on else "—"})
    # The credit this invoice took at its issue is deducted from what to pay (the portal's "reste à payer" is the
    # same): all of the account's credit, or what of it may pay this invoice (a CESU never pays a meal).
    used = ZERO if credit else invoice.credit_applied  # written at the issue: the same whenever the PDF is made
    to_pay = invoice.total - used
    totals = [
        {"label": _("Total de l'avoir, en votre faveur") if credit else (
            _("Montant de cette facture") if to_pay != invoice.total else _("Montant de cette facture, à payer")),
         "value": euros(invoice.total), "strong": to_pay == invoice.total},
    ]
    if to_pay != invoice.total:
        # One amount to pay on the paper: the invoice's, less the credit it uses, said as such.
        totals += [{"label": _("Crédit de votre compte, déduit"), "value": euros(to_pay - invoice.total)},
                   {"label": _("Reste à payer sur cette facture"), "value": euros(to_pay), "strong": True}]
    totals += [
        {"label": _("Solde antérieur, pour information, non compris dans le montant à payer"),
         "value": _balance_text(invoice.previous_balance)},
        {"label": _("Solde de votre compte après cet avoir") if credit
         else _("Total dû à la régie, solde antérieur compris"),
         "value": _balance_text(after), "strong": not credit},
    ]
    if credit:
        pay = {"title": _("Votre avoir"),
               "text": [_("Un avoir corrige une facture déjà émise : il diminue d'autant ce que vous devez à la "
                          "régie."), _("Vous n'avez rien à payer sur cet avoir.")]}
    else:
        due = invoice.due_on
        deducted = ([_("Le crédit de votre compte (%(credit)s) est déduit du montant de cette facture.")
                     % {"credit": euros(used)}] if used else [])
        kept = min(-invoice.previous_balance, invoice.total) - used if invoice.previous_balance < 0 else ZERO
        if kept > 0:  # the issue gave this invoice all the credit it could: what it kept, a meal cannot take
            deducted.append(_("Le reste du crédit de votre compte vient de CESU, qui ne paient que la garde des "
                               "enfants, jamais les repas : il n'est pas déduit de cette facture et reste sur "
                               "votre compte.") if used else
                             _("Le crédit de votre compte vient de CESU, qui ne paient que la garde des enfants, "
                               "jamais les repas : il n'est pas déduit de cette facture et reste sur votre "
                               "compte."))
        transfer = regie.transfer_text(invoice.number)
        online = _online_text(regie)
        pay = {"title": _("Comment payer"),
               "text": deducted + [(_("Payez %(amount)s avant le %(date)s à la régie :") % {
                   "amount": euros(to_pay), "date": renderer.long_date(due)}) if due else
                   _("Payez %(amount)s à la régie :") % {"amount": euros(to_pay)}],
               "items": [_("par chèque, en écrivant au dos le numéro de la facture (%(number)s) ;")
                         % {"number": invoice.number},
                         _("en espèces, au guichet de la régie, qui vous remet un reçu ;"),
                         *([online] if online else []),
                         *([transfer] if transfer else []),
                         _("par CESU (chèques emploi service universel), pour la garde des enfants seulement "
                           "(accueil périscolaire, accueil de loisirs), jamais pour les repas de la cantine.")],
               "after": _("Rappelez toujours le numéro de la facture : %(number)s.") % {"number": invoice.number}}
    billed_lines = [billing_identity.billed(billed)["name"]] + str(billed.get("address") or "").split("\n")
    if billed.get("reference"):
        billed_lines.append(_("Dossier n° %(ref)s") % {"ref": billed["reference"]})
    return {
        "title": _("Avoir") if credit else _("Avis des sommes à payer"),
        "reference": number_label,
        "subtitle": (_("Émis le %(date)s · période : %(period)s") if credit
                     else _("Émise le %(date)s · période : %(period)s")) % {"date": issued, "period": period},
        "regie": {"label": _("Régie de recettes"), "name": regie.name,
                  "lines": [regie.address or settings.COMMUNE_ADDRESS,
                            _("Ouverte : %(hours)s") % {"hours": regie.hours or settings.COMMUNE_HOURS}]},
        "billed_to": {"label": _("Facturé à"), "lines": [line for line in billed_lines if line]},
        "header": header,
        "table": {"headers": [_("Enfant et prestation"), _("Jours"), _("Quantité × prix unitaire"), _("Montant")],
                  "rows": _lines(invoice), "empty": _("Aucune ligne."),
                  "total_label": _("Total de l'avoir") if credit else _("Total de la facture"),
                  "total": euros(invoice.total)},
        "totals": totals,
        "pay": pay,
        "legal": {"title": _("Mentions légales"), "items": _legal(invoice, regie)},
    }


def filename(invoice):
    """The download's name: "facture-tour2026000042.pdf", "avoir-tourav2026000003.pdf"."""
    return renderer.filename(_("avoir") if invoice.is_credit_note else _("facture"), invoice.number)


def storage_name(invoice):
    """Where the archived PDF is stored: invoices/<year>/<number>.pdf."""
    year = timezone.localdate(invoice.issued_at).year if invoice.issued_at else timezone.localdate().year
    return f"invoices/{year}/{invoice.number}.pdf"


def render(invoice):
    """A fresh PDF/A-2b of an issued invoice or credit note (archive() stores it; never served unstored)."""
    return renderer.render(TEMPLATE, build(invoice), pdf_a=True)


def _store(saved):
    """Record the PDFs saved in the storage, {invoice: its file name}, in one UPDATE; the number recorded.

    An invoice another worker gave a PDF meanwhile keeps that one (the UPDATE sets only an empty `pdf`, and
    PostgreSQL checks that again once the other's row lock is released): ours is deleted. So is every file of a
    batch whose UPDATE failed."""
    if not saved:
        return 0
    storage = Invoice._meta.get_field("pdf").storage
    names = {invoice.pk: name for invoice, name in saved.items()}
    try:
        with transaction.atomic():
            Invoice.objects.filter(pk__in=names, pdf="").update(
                pdf=Case(*(When(pk=pk, then=Value(name)) for pk, name in names.items()), default=Value("")))
            recorded = dict(Invoice.objects.filter(pk__in=names).values_list("pk", "pdf"))
    except Exception:
        # The COMMIT itself may have failed after the database applied it (a lost answer): only the files no row
        # names are deleted, read again; when that read fails too, every file is kept (an orphan, never a row
        # naming a deleted file).
        try:
            named = set(Invoice.objects.filter(pk__in=names).values_list("pdf", flat=True))
        except Exception:
            named = set(names.values())
        for name in set(names.values()) - named:
            storage.delete(name)
        raise
    stored = 0
    for invoice, name in saved.items():
        invoice.pdf.name = recorded.get(invoice.pk, "")
        if invoice.pdf.name == name:
            stored += 1
        else:
            storage.delete(name)
    return stored


def _submit(chunk):
    """Read a batch of invoices and put their PDFs to compile on the renderer's pool: [(invoice, future)]."""
    invoices = list(Invoice.objects.filter(pk__in=chunk, state=Invoice.State.ISSUED, pdf="")
                    .select_related("regie", "corrects").prefetch_related("lines").order_by("pk"))
    jobs = []
    for invoice in invoices:
        try:
            jobs.append((invoice, renderer.submit(TEMPLATE, renderer.inputs(build(invoice)), pdf_a=True)))
        except Exception:
            logger.exception("Archiving the PDF of invoice %s failed", invoice.pk)
    return jobs


def _save(jobs):
    """Each compiled PDF saved in the storage, {invoice: file name}; one that failed is logged and left out."""
    storage = Invoice._meta.get_field("pdf").storage
    saved = {}
    for invoice, pdf in jobs:
        try:
            saved[invoice] = storage.save(storage_name(invoice), ContentFile(pdf.result()))
        except Exception:
            logger.exception("Archiving the PDF of invoice %s failed", invoice.pk)
    return saved


def archive(invoice_ids, *, batch=BATCH):
    """Render and store, once, the PDF of each issued invoice or credit note named that has none: the number
    stored. One that fails is logged and skipped (the sweep re-runs after_issue, which tries it again).

    The PDFs compile on the renderer's pool, on every core. The next batch is read and put on the pool before
    this one is saved and recorded, so that the pool never waits for the storage or the database."""
    ids = list(invoice_ids)
    chunks = [ids[start:start + batch] for start in range(0, len(ids), batch)]
    stored = 0
    pending = _submit(chunks[0]) if chunks else []
    for index in range(len(chunks)):
        jobs, pending = pending, (_submit(chunks[index + 1]) if index + 1 < len(chunks) else [])
        saved = _save(jobs)
        # One UPDATE and one commit per batch, not a statement, a savepoint and a disk flush per PDF.
        try:
            stored += _store(saved)
        except Exception:
            logger.exception("Recording the PDFs of invoices %s failed", sorted(i.pk for i in saved))
    return stored


def stored_pdf(invoice):
    """The archived PDF of an issued invoice or credit note as an Edition; made and stored first if missing."""
    if not invoice.pdf:
        archive([invoice.pk])
        invoice.refresh_from_db(fields=["pdf"])
        if not invoice.pdf:
            raise RuntimeError(f"invoice {invoice.pk} has no PDF and none could be made")
    with invoice.pdf.open("rb") as handle:
        return renderer.Edition(handle.read(), filename(invoice))
