"""The statement of account ("relevé de compte") of a household with a régie, as a PDF.

Its lines are staff_queries.statement's, the very list the portal's statement page shows (portal:statement): the
PDF and the screen never disagree on an operation or on the balance.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from enfance.billing import staff_queries
from enfance.billing.money import ZERO, euros

from . import renderer


def regie_fields(regie):
    """The régie's identity, as the certificates and the statement print it."""
    return [
        {"label": _("Régie"), "value": regie.name},
        {"label": _("Code"), "value": regie.code},
        {"label": _("Adresse"), "value": regie.address or None, "wide": True},
        {"label": _("Horaires d'ouverture"), "value": regie.hours or None, "wide": True},
    ]


def household_fields(family):
    """The household as the documents address it: its reference, name, guardians and address."""
    guardians = ", ".join(f"{g.first_name} {g.last_name}" for g in family.guardians.all())
    return [
        {"label": _("Foyer"), "value": family.display_name},
        {"label": _("Dossier n°"), "value": family.reference},
        {"label": _("Responsables"), "value": guardians or None, "wide": True},
        {"label": _("Adresse"), "value": family.full_address or None, "wide": True},
    ]


def _label(line):
    if getattr(line, "label", ""):
        return line.label  # portal_queries.statement's words, the page's: what each move did
    obj = line.obj
    if line.kind == "invoice":
        return _("Facture n° %(number)s (du %(first)s au %(last)s)") % {
            "number": obj.number, "first": obj.first_day.strftime("%d/%m/%Y"),
            "last": obj.last_day.strftime("%d/%m/%Y")}
    if line.kind == "credit_note":
        text = _("Avoir n° %(number)s") % {"number": obj.number}
        if obj.corrects is not None:
            text += " " + _("(corrige la facture n° %(number)s)") % {"number": obj.corrects.number}
        return text
    if line.kind == "payment":
        text = _("Règlement : %(means)s") % {"means": obj.get_means_display()}
        return f"{text} {obj.reference}" if obj.reference else text
    # Staff's reason for a reversal is theirs: the household reads that the payment was cancelled.
    return _("Paiement annulé : règlement du %(date)s (%(means)s)") % {
        "date": obj.reverses.received_on.strftime("%d/%m/%Y"), "means": obj.get_means_display()}


def balance_text(balance):
    if balance > 0:
        return _("%(amount)s à payer") % {"amount": euros(balance)}
    if balance < 0:
        return _("%(amount)s en votre faveur") % {"amount": euros(-balance)}
    return euros(ZERO)


def build(regie, family, lines=None):
    """The statement's data; `lines` from staff_queries.statement (read here when not given)."""
    if lines is None:
        lines = staff_queries.statement(regie, family)
    balance = lines[-1].balance if lines else ZERO
    today = timezone.localdate()
    if balance > 0:
        summary = _("Au %(date)s, vous devez %(amount)s.")
    elif balance < 0:
        summary = _("Au %(date)s, vous avez un crédit de %(amount)s, déduit de vos prochaines factures.")
    else:
        summary = _("Au %(date)s, votre compte est à jour : vous n'avez rien à payer.")
    table = {
        "headers": [_("Date"), _("Opération"), _("Débit"), _("Crédit"), _("Solde")],
        "widths": [1.3, 5, 1.5, 1.5, 2.2],
        "rows": [[line.day.strftime("%d/%m/%Y"), _label(line), euros(line.debit) if line.debit else "—",
                  euros(line.credit) if line.credit else "—", balance_text(line.balance)] for line in lines],
        "empty": _("Aucune opération avec cette régie."),
    }
    return {
        "title": _("Relevé de compte"),
        "subtitle": _("%(regie)s · dossier n° %(ref)s") % {"regie": regie.name, "ref": family.reference},
        "sections": [
            {"title": _("Le foyer"), "fields": household_fields(family)},
            {"title": _("La régie"), "fields": regie_fields(regie)},
            {"title": _("Les opérations"),
             "intro": _("Chaque facture augmente ce que vous devez (débit) ; chaque avoir et chaque règlement le "
                        "diminue (crédit). L'annulation d'un règlement l'augmente de nouveau. Le solde est ce que "
                        "vous devez après chaque opération."),
             "tables": [table]},
        ],
        "summary": summary % {"date": renderer.long_date(today), "amount": euros(abs(balance))},
        "balance_label": _("Solde"),
        "balance": balance_text(balance),
    }


def render(regie, family, lines=None):
    data = build(regie, family, lines)
    return renderer.Edition(renderer.render("statement", data),
                            renderer.filename(_("releve-de-compte"), regie.code, family.reference))
