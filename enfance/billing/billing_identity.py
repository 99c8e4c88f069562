"""Whom an invoice is addressed to: the household's main guardian by first name and surname, its address and its
reference, as kept on the invoice at its issue (Invoice.billed_to, never changed afterwards)."""

from django.utils.translation import gettext as _


def full_name(guardian):
    return f"{guardian.first_name} {guardian.last_name}".strip()


def billed_to(family):
    """The snapshot written on an invoice at its issue (the household's guardians prefetched: no query): the
    guardian billed first ("Claire Martin", the household's responsible, rank 1), then every guardian."""
    guardians = sorted(family.guardians.all(), key=lambda g: g.rank)
    names = [full_name(g) for g in guardians if full_name(g)]
    return {"reference": family.reference, "name": names[0] if names else str(_("Foyer sans responsable")),
            "address": family.full_address, "guardians": names}


def billed(snapshot):
    """What an invoice shows under "Facturé à", from its snapshot: {"name", "address", "reference"}. The name is
    the guardian billed by first name and surname, also on invoices issued when the snapshot's "name" was the
    household's surnames only (their "guardians" hold the full names)."""
    snapshot = snapshot or {}
    guardians = [name for name in snapshot.get("guardians") or () if name]
    return {"name": guardians[0] if guardians else snapshot.get("name", ""),
            "address": snapshot.get("address", ""), "reference": snapshot.get("reference", "")}
