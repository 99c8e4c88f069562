"""Online payment attempts: started from the ledger, confirmed only by the bank over its own channel.

- start(): the amount comes from the ledger (the balance, or what is left on the invoices chosen); nothing the
  browser sends changes it. Under the household's lock, an attempt still open on the same invoices is reused
  rather than a second one opened, so two tabs cannot both be charged for one invoice.
- check(): the notification, the family's return, the result page, the sweep and staff all call it. It never
  reads an outcome from what it was sent: it asks the provider about the reference stored on the attempt, then
  apply() moves the attempt under a lock on its row. receive() is the notification's and the return's way in:
  a bank that cannot be asked (providers/signed.py) has its notice read once its signature checks. A card Payment is recorded once per attempt (the row lock
  and `payment` being set are what make twice, late, out of order and concurrent notices record one).
- A bank's "paid" for another amount than the attempt's, and a signed notice in another currency than the euro,
  are kept for staff (needs_review), not recorded.
- An attempt keeps the régie's settings it started with (config.options_of), never a secret: a digest of each
  secret in use. Its notice is checked with the régie's current secret only while that digest is the
  attempt's; otherwise (a rotated key, another shop) it is not read, and the attempt is kept for staff. When
  staff change the régie's bank settings, the attempts still open on the former ones are never reused and are
  flagged for staff (save_regie, flag_outdated).
"""

import datetime
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enfance.billing import ledger
from enfance.billing import payments as billing_payments
from enfance.billing.models import Invoice, Regie
from enfance.billing.money import ZERO, euros, money
from enfance.core import audit
from enfance.families.models import Family

from . import config
from .models import PaymentAttempt, PaymentEvent
from .providers import base

logger = logging.getLogger(__name__)
State = PaymentAttempt.State
Source = PaymentEvent.Source

MINIMUM = money("1.00")  # PayFiP's: under it, the page says how to pay otherwise
REUSE = datetime.timedelta(minutes=15)  # a PayFiP operation's identifier lives 15 minutes
PAGE_CHECK_EVERY = datetime.timedelta(seconds=3)  # the result page's refresh asks the bank at most this often
GIVE_UP = datetime.timedelta(hours=3)  # beyond PayFiP's 2 hours of "still on the payment page"
RECHECK = datetime.timedelta(hours=3)  # an attempt closed on our side is asked about this long after its start

_OUTCOME_STATES = {base.PAID: State.PAID, base.REFUSED: State.REFUSED, base.CANCELLED: State.CANCELLED,
                   base.EXPIRED: State.EXPIRED}

# An event's note is stored as one of these codes (in English, as the raw data beside it, and never rewritten)
# and shown to staff in French (templatetags.payments.event_note); a note staff typed is shown as typed.
NOTE_OTHER_OPERATION = "the provider answered about another operation"
NOTE_ALREADY_PAID = "already paid"
NOTE_ABANDONED = "abandoned by the family"
NOTE_SUPERSEDED = "superseded: the amount due changed"
NOTE_NO_OUTCOME = "no outcome from the bank in time"
NOTE_REFUSED = "notice refused"
NOTE_SETTINGS_CHANGED = "the régie's payment settings changed while it was open"
NOTE_CURRENCY = "a currency other than the euro"
NOTE_SECRET_CHANGED = "notice not read: the régie's secret is no longer the attempt's"
NOTE_REVIEW_CLEARED = "paid as asked: no longer to check"
NOTES = {
    NOTE_OTHER_OPERATION: gettext_lazy("réponse sur une autre opération : ignorée"),
    NOTE_ALREADY_PAID: gettext_lazy("déjà payé : rien de plus n'est enregistré"),
    NOTE_ABANDONED: gettext_lazy("abandonné par la famille"),
    NOTE_SUPERSEDED: gettext_lazy("remplacé : le montant dû a changé"),
    NOTE_NO_OUTCOME: gettext_lazy("aucune réponse de la banque à temps"),
    NOTE_REFUSED: gettext_lazy("notification refusée (signature ou contenu invalide)"),
    NOTE_SETTINGS_CHANGED: gettext_lazy("la banque de la régie a changé pendant ce paiement : à contrôler"),
    NOTE_CURRENCY: gettext_lazy("notification dans une autre monnaie que l'euro : rien n'est enregistré"),
    NOTE_SECRET_CHANGED: gettext_lazy("notification non lue : la clé de la banque de la régie a changé depuis le "
                                      "début de ce paiement ; rien n'est enregistré, à vérifier auprès de la banque"),
    NOTE_REVIEW_CLEARED: gettext_lazy("payé du montant demandé, en euros : n'est plus à vérifier"),
}
# The flags a later payment of the exact amount, in euros, answers (apply() clears them).
CLEARED_BY_PAYMENT = (NOTE_SETTINGS_CHANGED, NOTE_CURRENCY, NOTE_SECRET_CHANGED)


class PaymentRefused(Exception):
    """Why an attempt could not be started, in French, for the family."""

    def __init__(self, message, attempt=None):
        super().__init__(message)
        self.message, self.attempt = message, attempt


def open_invoices(regie, family):
    return billing_payments.open_invoices(regie, family)


def due(regie, family, invoice_ids=None):
    """(amount, invoices chosen) that an online payment would ask for now: the balance of the account (its
    credit deducted), or what is left on the invoices chosen (each of them the household's own and unpaid)."""
    if invoice_ids:
        wanted = set(invoice_ids)
        chosen = [i for i in open_invoices(regie, family) if i.pk in wanted]
        if len(chosen) != len(wanted):
            raise PaymentRefused(_("Une des factures choisies n'est plus à payer : rechargez la page."))
        return money(sum((i.left for i in chosen), ZERO)), chosen
    return max(ledger.balance(regie, family), ZERO), []


def _email(user, family):
    for address in [getattr(user, "email", "")] + [login.email for login in family.logins.all()]:
        if address and 6 <= len(address) <= 80:
            return address
    return ""


def _refdet(regie, attempt, invoices):
    # One invoice: its number, the reference its paper asks to recall; else ours, unique per attempt.
    return invoices[0].number if len(invoices) == 1 else f"{regie.code}P{attempt.pk:010d}"


def _overlaps(attempt, invoice_ids):
    """Would paying `invoice_ids` (empty: the whole balance) charge again what the attempt is paying?"""
    theirs = set(attempt.invoices.values_list("pk", flat=True))
    return not theirs or not invoice_ids or bool(theirs & set(invoice_ids))


def _scope(attempt):
    """What the attempt pays: frozenset() for the whole balance, else its invoices' ids."""
    return frozenset(attempt.invoices.values_list("pk", flat=True))


def _scope_of(invoice_ids, invoices):
    return frozenset(i.pk for i in invoices) if invoice_ids else frozenset()


def _locked(pk):
    """The attempt, its row locked (its own row only: the household's and the régie's are the ledger's to lock,
    and record_online locks the household after it)."""
    return (PaymentAttempt.objects.select_for_update(no_key=True, of=("self",)).select_related("regie", "family")
            .get(pk=pk))


def _event(attempt, source, *, state="", changed=False, raw=None, note="", actor=None):
    return PaymentEvent.objects.create(attempt=attempt, source=source, state=state, changed=changed,
                                       raw=raw or {}, note=note[:300],
                                       actor=actor if actor is not None and actor.is_authenticated else None)


def in_progress(regie, family, invoice_ids=(), *, outdated=None):
    """The household's attempt still open on these invoices and recent enough to be reused, or None. An attempt
    kept for staff (needs_review) is never reused, nor one that started with other settings than the régie's
    now (another bank, shop or client number): those are added to `outdated` (a list), for flag_outdated."""
    for attempt in (PaymentAttempt.objects.filter(regie=regie, family=family, state__in=PaymentAttempt.OPEN_STATES,
                                                  created_at__gte=timezone.now() - REUSE)
                    .order_by("-created_at")):
        if attempt.needs_review:
            continue
        if config.settings_changed(attempt, regie):
            if outdated is not None:
                outdated.append(attempt.pk)
            continue
        if _overlaps(attempt, invoice_ids):
            return attempt
    return None


def flag_outdated(regie, *, actor=None, ids=None, skip_locked=False, regie_changed=False):
    """Flag for staff (needs_review, with a French note) the régie's attempts still open that started with other
    payment settings than the régie's now: they keep theirs (their notices are checked, the bank asked, with
    them), but are never reused (in_progress). Their rows are locked, one by one in the order of their ids, as
    apply() locks them: a notice arriving meanwhile is applied before or after, never lost. Called inside the
    régie's save (save_regie), and by start() for the attempts of a household it skipped. `skip_locked`: leave
    an attempt whose row another transaction holds (a notice being applied; start() flags it later, and it is
    never reused meanwhile). `regie_changed`: the régie's settings have just changed (its save says so): an
    attempt of before options were kept counts as changed (config.settings_changed). Idempotent: an attempt
    flagged already is left. The attempts flagged."""
    flagged = []
    with transaction.atomic():
        candidates = (PaymentAttempt.objects.filter(regie=regie, state__in=PaymentAttempt.OPEN_STATES,
                                                    needs_review=False)
                      .select_for_update(no_key=True, of=("self",), skip_locked=skip_locked).order_by("pk"))
        if ids is not None:
            candidates = candidates.filter(pk__in=ids)
        for attempt in candidates:
            if not config.settings_changed(attempt, regie, regie_changed=regie_changed):
                continue
            attempt.needs_review = True
            attempt.review_note = _("La banque de la régie (ou son numéro de boutique, de client ou son mode) a "
                                    "changé pendant ce paiement : il garde ses anciens réglages et n'est plus proposé "
                                    "à la famille. Vérifiez auprès de l'ancienne banque s'il a été payé.")[:300]
            attempt.save(update_fields=["needs_review", "review_note"])
            _event(attempt, Source.STAFF if actor is not None else Source.PAGE, note=NOTE_SETTINGS_CHANGED,
                   actor=actor)
            flagged.append(attempt)
    return flagged


def save_regie(regie, values, activities, *, actor):
    """The régie form's save: billing's save_regie (AdminError as it says; among them, settings changed since
    the page was built: values["payment_fingerprint"], compared under the régie's row lock) and, in the same
    transaction, the attempts in flight on settings that are no longer the régie's flagged (flag_outdated).

    Lock order: the attempts first, then the régie (billing's save_regie locks it), as a notice does (apply():
    the attempt, then record_online's household and the régie its payment names); the régie first would
    deadlock against a notice paying meanwhile. The open attempts are always locked and the flagging always run
    (it is idempotent): whether the settings change is known only under the régie's lock. The régie saved, with
    `outdated_attempts`: those flagged."""
    from enfance.billing import admin_services

    with transaction.atomic():
        if regie.pk is not None:
            # Who is flagged is known once the new settings are the régie's; their rows are taken now, first.
            list(PaymentAttempt.objects.filter(regie=regie, state__in=PaymentAttempt.OPEN_STATES)
                 .select_for_update(no_key=True, of=("self",)).order_by("pk").values_list("pk", flat=True))
        saved = admin_services.save_regie(regie, values, activities, actor=actor)
        # The rows taken above are this transaction's; one started since and held by a notice is skipped rather
        # than waited for under the régie's lock (that notice's payment waits for the régie's row).
        changed = getattr(saved, "previous_payment_settings", None) != saved.payment_settings
        saved.outdated_attempts = (flag_outdated(saved, actor=actor, skip_locked=True, regie_changed=changed)
                                   if regie.pk is not None else [])
    return saved


class _Replaced(Exception):
    """The régie's payment settings were replaced while start() opened an attempt on them: start again."""

    def __init__(self, regie):
        super().__init__("the régie's payment settings changed")
        self.regie = regie


STARTS = 3  # start() opens its attempt again on the fresh settings at most twice


def _open(regie, family, user, invoice_ids):
    """start()'s transaction: the attempt opened (or the one in progress, `reused`) under the household's lock,
    on the régie's payment settings as they are then; _Replaced when a save replaced them meanwhile (the attempt
    is rolled back). The attempt opened carries its régie and `provider_object`, for the call to the bank."""
    superseded, outdated = None, []
    try:
        with transaction.atomic():
            Family.objects.select_for_update(no_key=True).filter(pk=family.pk).first()
            regie = Regie.objects.get(pk=regie.pk)  # as it is now, not as the page read it
            found = config.for_regie(regie)
            if found is None:
                raise PaymentRefused(_("Le paiement en ligne n'est pas ouvert pour cette régie."))
            name, provider = found
            amount, invoices = due(regie, family, invoice_ids)
            current = in_progress(regie, family, invoice_ids, outdated=outdated)
            # The same amount, or another scope (the whole balance in progress while one invoice is asked, or
            # the reverse): shown again, never closed under the payer's feet. Only the same invoices for another
            # amount (the ledger changed) supersede it.
            if current is not None and (current.amount == amount or _scope(current) != _scope_of(invoice_ids,
                                                                                                 invoices)):
                current.reused = True
                if outdated:  # flagged once the household's lock is released (apply()'s order: attempt first)
                    transaction.on_commit(lambda: flag_outdated(regie, ids=outdated))
                return current
            # What is due changed since an attempt in progress started (a cheque at the desk, a credit note): never
            # sent to pay the old amount. It is closed once this lock is released (an attempt's lock is never taken
            # under the household's: apply() takes them the other way round), and still asked about by the sweep.
            superseded = current
            if amount < max(MINIMUM, provider.minimal_amount):
                raise PaymentRefused(_("Le paiement en ligne n'accepte pas moins de %(minimum)s.")
                                     % {"minimum": euros(max(MINIMUM, provider.minimal_amount))} if amount > 0
                                     else _("Il n'y a rien à payer."))
            if provider.maximal_amount is not None and amount > provider.maximal_amount:
                raise PaymentRefused(_("Le paiement en ligne n'accepte pas plus de %(maximum)s : payez à la régie.")
                                     % {"maximum": euros(provider.maximal_amount)})
            email = _email(user, family)
            if not email:
                raise PaymentRefused(_("La banque demande une adresse électronique : ajoutez-la à votre compte."))
            attempt = PaymentAttempt.objects.create(regie=regie, family=family, started_by=user, provider=name,
                                                    provider_options=config.options_of(name, regie), amount=amount,
                                                    email=email, refdet="-")
            # The INSERT (its foreign key) waited for a save holding the régie's row: the régie is read again, and
            # an attempt is never opened on settings already replaced.
            fresh = Regie.objects.get(pk=regie.pk)
            if config.settings_changed(attempt, fresh):
                raise _Replaced(fresh)
            attempt.refdet = _refdet(regie, attempt, invoices)
            attempt.save(update_fields=["refdet"])
            attempt.invoices.set(invoices)
    except PaymentRefused:
        if superseded is not None:  # nothing (or too little) is due now: the old amount is not either
            _close(superseded, Source.PAGE, note=NOTE_SUPERSEDED)
        if outdated:
            flag_outdated(regie, ids=outdated)
        raise
    if superseded is not None:
        _close(superseded, Source.PAGE, note=NOTE_SUPERSEDED)
    if outdated:  # the régie's settings changed under them and nobody flagged them (saved some other way)
        flag_outdated(regie, ids=outdated)
    attempt.provider_object = provider
    return attempt


def start(*, regie, family, user, invoice_ids=(), url_for):
    """Open an attempt and the bank's operation for what the household owes (see due()); the attempt, with
    `bank_url` to send the payer to. `url_for(name, token)` makes the attempt's absolute URLs. An attempt in
    progress on the same invoices is returned instead (`attempt.reused`); PaymentRefused says why not.

    `regie` may be as a page read it a moment ago: the attempt is opened on the régie's settings as they are
    once its row is written (the INSERT waits for a save holding the régie's row, and the régie is read again
    after it); should they differ from those it was built with, it is opened again on the fresh ones."""
    if config.for_regie(regie) is None:
        raise PaymentRefused(_("Le paiement en ligne n'est pas ouvert pour cette régie."))
    invoice_ids = sorted(set(invoice_ids))
    # Older open attempts are asked about first (outside any lock: the bank may be slow): one that was paid is
    # recorded before anything is computed from the ledger.
    now = timezone.now()
    for stale in PaymentAttempt.objects.filter(
            Q(state__in=PaymentAttempt.OPEN_STATES, created_at__lt=now - REUSE)
            # and those closed on our side lately: paid in another tab after an abandon, never charged twice
            | Q(state__in=[State.CANCELLED, State.EXPIRED], created_at__gte=now - RECHECK),
            regie=regie, family=family).exclude(reference=""):
        if stale.is_open or config.can_ask(stale.provider):
            check(stale, source=Source.PAGE)
    for _round in range(STARTS):
        try:
            opened = _open(regie, family, user, invoice_ids)
        except _Replaced as replaced:
            regie = replaced.regie
            continue
        break
    else:
        raise PaymentRefused(_("Les réglages de paiement de la régie viennent de changer : réessayez dans un "
                               "instant."))
    if getattr(opened, "reused", False):
        return opened
    attempt, regie, provider = opened, opened.regie, opened.provider_object
    # The bank is called once the attempt is committed: if we die meanwhile, the sweep finds it (no reference,
    # so never paid) and closes it.
    try:
        started = provider.start(
            attempt_id=attempt.token, amount=attempt.amount, email=attempt.email, refdet=attempt.refdet,
            year=timezone.localdate().year, description=regie.name,
            notify_url=url_for("payments:notify", attempt.token), return_url=url_for("payments:back", attempt.token))
    except (base.ProviderError, ValueError) as error:
        logger.warning("Starting payment attempt %s failed: %s", attempt.pk, error)
        refused_here = isinstance(error, ValueError)
        with transaction.atomic():
            attempt = _locked(attempt.pk)
            attempt.state, attempt.finished_at, attempt.message = State.ERROR, timezone.now(), str(error)[:300]
            attempt.save(update_fields=["state", "finished_at", "message"])
            _event(attempt, Source.START, state=base.ERROR, changed=True, raw={"error": str(error)[:500]})
        if refused_here:  # our own checks, before any call: the bank was never asked
            raise PaymentRefused(_("Ce paiement ne peut pas être présenté à la banque (adresse électronique ou "
                                   "réglage de la régie à corriger) : payez à la régie, ou écrivez à la mairie."),
                                 attempt) from error
        raise PaymentRefused(_("La banque ne répond pas pour le moment : réessayez dans quelques minutes, ou "
                               "payez à la régie."), attempt) from error
    with transaction.atomic():
        attempt = _locked(attempt.pk)
        attempt.reference, attempt.bank_url, attempt.started_at = started.reference, started.url, timezone.now()
        attempt.bank_form = [list(pair) for pair in started.form]
        fields = ["reference", "bank_url", "bank_form", "started_at"]
        if attempt.state == State.CREATED:
            attempt.state = State.PENDING
            fields.append("state")
        attempt.save(update_fields=fields)
        _event(attempt, Source.START, state=base.PENDING, changed=True, raw=started.raw)
    attempt.reused = False
    return attempt


def check(attempt, *, source, actor=None):
    """Ask the provider what became of the attempt and apply it; the attempt as it now is. Safe to call any
    number of times, at once: only the first confirmation records a payment."""
    if not attempt.reference:
        return attempt
    # Even for an attempt already paid the bank is asked and the notice kept (PaymentEvent): staff see every
    # notification, late ones too; apply() changes nothing then.
    if not config.can_ask(attempt.provider):  # only its signed notices tell (receive): nothing to ask
        PaymentAttempt.objects.filter(pk=attempt.pk).update(checked_at=timezone.now())
        return attempt
    try:
        provider = config.provider(attempt.provider, attempt.regie, attempt.provider_options or None)
        outcome = provider.status(reference=attempt.reference, started_at=attempt.started_at or attempt.created_at)
    except (base.ProviderError, LookupError, ValueError) as error:
        logger.warning("Asking about payment attempt %s failed: %s", attempt.pk, error)
        PaymentAttempt.objects.filter(pk=attempt.pk).update(checked_at=timezone.now())
        _event(attempt, source, state=base.ERROR, raw={"error": str(error)[:500]}, actor=actor)
        return attempt
    return apply(attempt.pk, outcome, source=source, actor=actor)


def receive(attempt, notice, *, source):
    """The bank's notification or the payer's return for this attempt (its token in the URL). A bank that is
    asked (PayFiP, the sandbox) is asked, whatever the notice says; a bank that signs its notices has the
    notice read once its signature checks (providers/signed.py), and apply() still takes it only for the
    attempt's own reference. A notice that does not check records nothing but an event; one that cannot be
    checked because the régie's secret is no longer the attempt's keeps the attempt for staff (_secret_changed)."""
    if config.can_ask(attempt.provider):
        return check(attempt, source=source)
    try:
        provider = config.provider(attempt.provider, attempt.regie, attempt.provider_options or None)
    except config.SecretChanged as error:
        _secret_changed(attempt, source, error)
        return attempt
    except LookupError as error:
        _event(attempt, source, state=base.ERROR, raw={"error": str(error)[:500]})
        return attempt
    try:
        outcome = provider.read_notice(notice)
    except base.ProviderError as error:
        _refused(attempt, source, error)
        return attempt
    if outcome is None or not attempt.reference:
        return attempt
    return apply(attempt.pk, outcome, source=source)


REFUSED_KEPT = 10  # refused notices kept as events per attempt: anyone holding its token may post more


def _secret_changed(attempt, source, error):
    """A notice for an attempt whose secret the régie no longer holds (rotated after a leak, another shop): it is
    not read, since whoever holds the old key could have signed it. It is kept as an event, nothing is recorded,
    and the attempt not yet recorded is kept for staff, who check it at the bank by hand."""
    logger.warning("A notice for payment attempt %s was not read: %s", attempt.pk, error)
    with transaction.atomic():
        attempt = _locked(attempt.pk)
        if PaymentEvent.objects.filter(attempt=attempt, note=NOTE_SECRET_CHANGED).count() < REFUSED_KEPT:
            _event(attempt, source, state=base.ERROR, raw={"refused": str(error)[:500]}, note=NOTE_SECRET_CHANGED)
        if attempt.payment_id is None and not attempt.needs_review:
            attempt.needs_review = True
            attempt.review_note = _("La clé (ou la boutique) de la banque de la régie a changé depuis le début de ce "
                                    "paiement : sa notification n'a pas été lue et rien n'est enregistré. Vérifiez "
                                    "dans l'espace de la banque s'il a été payé.")[:300]
            attempt.save(update_fields=["needs_review", "review_note"])
    return attempt


def _refused(attempt, source, error):
    logger.warning("A notice for payment attempt %s was refused: %s", attempt.pk, error)
    if PaymentEvent.objects.filter(attempt=attempt, note=NOTE_REFUSED).count() < REFUSED_KEPT:
        _event(attempt, source, state=base.ERROR, raw={"refused": str(error)[:500]}, note=NOTE_REFUSED)


def receive_for_regie(regie, notice):
    """A signed notice posted to the régie's own notification URL (banks whose back office holds one URL for
    every payment, as SystemPay's may): the attempt is the one of this régie the notice names, and the notice is
    read with that attempt's own settings (those it started with, and the régie's secret only while it is the
    one the attempt started with), then applied only if its signed reference is the attempt's. The attempt, or None when the
    notice names none of ours or does not check."""
    from .providers.signed import claimed_references

    claimed = claimed_references(notice)  # unchecked: only which attempt's settings will check it
    attempt = (PaymentAttempt.objects.filter(regie=regie, provider=config.EOPAYMENT, reference__in=claimed)
               .exclude(reference="").select_related("regie").order_by("pk").first() if claimed else None)
    if attempt is None:
        return None
    try:
        provider = config.provider(attempt.provider, attempt.regie, attempt.provider_options or None)
        outcome = provider.read_notice(notice)
    except base.ProviderError as error:
        _refused(attempt, Source.NOTIFICATION, error)
        return None
    except config.SecretChanged as error:
        _secret_changed(attempt, Source.NOTIFICATION, error)
        return None
    except LookupError as error:
        logger.warning("A notice for régie %s was refused: %s", regie.pk, error)
        _event(attempt, Source.NOTIFICATION, state=base.ERROR, raw={"error": str(error)[:500]})
        return None
    if outcome is None:
        return None
    return apply(attempt.pk, outcome, source=Source.NOTIFICATION)


def apply(attempt_id, outcome, *, source, actor=None):
    """Move the attempt by what the provider said (its row locked); record the card payment once."""
    from . import notices

    with transaction.atomic():
        attempt = _locked(attempt_id)
        now = timezone.now()
        attempt.checked_at, attempt.checks = now, attempt.checks + 1
        fields = ["checked_at", "checks"]
        changed = cleared = False
        if outcome.reference != attempt.reference:
            note = NOTE_OTHER_OPERATION  # never ours to apply
        elif attempt.state == State.PAID:
            note = NOTE_ALREADY_PAID
        elif not outcome.in_euros:
            # Signed and about this operation, but not in euros: nothing moves, staff look at it with the bank.
            note = NOTE_CURRENCY
            attempt.needs_review = True
            attempt.review_note = (_("La banque a envoyé une notification dans une autre monnaie que l'euro (code "
                                     "%(code)s au lieu de 978) : rien n'est enregistré. Vérifiez ce paiement dans "
                                     "l'espace de la banque.") % {"code": outcome.currency or "—"})[:300]
            fields += ["needs_review", "review_note"]
        elif outcome.state == base.PAID:
            changed, note = True, ""
            attempt.state, attempt.finished_at, attempt.paid_amount = State.PAID, now, outcome.amount
            attempt.test = outcome.test
            fields += ["state", "finished_at", "paid_amount", "test"]
            if outcome.test and attempt.provider != config.SANDBOX:
                # A bank's test transaction (PayFiP mode T) took no money: never a règlement on the account.
                attempt.needs_review = True
                attempt.review_note = _("Transaction de test de la banque : aucun règlement enregistré.")
                fields += ["needs_review", "review_note"]
            elif outcome.amount is None or money(outcome.amount) != attempt.amount:
                attempt.needs_review = True
                attempt.review_note = (_("La banque confirme %(paid)s pour %(asked)s demandés : à vérifier avant "
                                         "tout enregistrement.") % {"paid": euros(outcome.amount or ZERO),
                                                                    "asked": euros(attempt.amount)})[:300]
                fields += ["needs_review", "review_note"]
            else:
                attempt.payment = _record(attempt)
                fields.append("payment")
                transaction.on_commit(lambda pk=attempt.pk: notices.tell_paid(pk))
                if attempt.needs_review and attempt.events.filter(note__in=CLEARED_BY_PAYMENT).exists():
                    # Flagged for a bank change or a currency, then paid the amount asked in euros: answered.
                    attempt.needs_review, attempt.review_note = False, ""
                    fields += ["needs_review", "review_note"]
                    cleared = True
        elif outcome.state in _OUTCOME_STATES and attempt.is_open:
            changed, note = True, ""
            attempt.state, attempt.finished_at = _OUTCOME_STATES[outcome.state], now
            attempt.message = outcome.message[:300]
            fields += ["state", "finished_at", "message"]
        else:
            note = ""  # still pending, or a late refusal of an attempt already closed
        attempt.save(update_fields=fields)
        if not changed and not note and _repeats_last_event(attempt, source, outcome):
            return attempt  # the result page asking every few seconds: counted (checks), kept once
        _event(attempt, source, state=outcome.state, changed=changed, raw=outcome.raw, note=note, actor=actor)
        if cleared:
            _event(attempt, source, state=outcome.state, note=NOTE_REVIEW_CLEARED, actor=actor)
    return attempt


def _repeats_last_event(attempt, source, outcome):
    """The bank said again, to the same asker, exactly what the attempt's last event holds (a pending page's
    refresh): staff would read a hundred rows of "pas encore de résultat"."""
    last = attempt.events.order_by("-pk").first()
    return (last is not None and last.source == source and last.state == outcome.state and not last.changed
            and not last.note and last.raw == (outcome.raw or {}))


def _record(attempt):
    invoice_ids = list(attempt.invoices.values_list("pk", flat=True))
    return billing_payments.record_online(
        regie=attempt.regie, family=attempt.family, amount=attempt.amount, received_on=timezone.localdate(),
        reference=attempt.refdet, invoice_ids=invoice_ids)  # the family's reference; the bank's is the attempt's


def abandon(attempt, *, actor):
    """The family gives up an attempt still open (another tab, a mistake): a bank that can be asked is asked
    first (outside any lock: it may have been paid in another tab, its notice not come yet), then the attempt
    is closed on our side if still open. Should the bank confirm a payment afterwards, check() still records
    it: the money was taken."""
    if attempt.is_open and attempt.reference and config.can_ask(attempt.provider):
        attempt = check(attempt, source=Source.FAMILY, actor=actor)
    return _close(attempt, Source.FAMILY, note=NOTE_ABANDONED, actor=actor)


def closed_here_recently(attempt):
    """Closed on our side (abandoned, superseded, expired here) with the bank's reference, less than RECHECK
    after its start: the bank may still have been paid, so pages ask it as they ask an open attempt."""
    return (attempt.state in (State.CANCELLED, State.EXPIRED) and bool(attempt.reference)
            and attempt.created_at >= timezone.now() - RECHECK)


def _close(attempt, source, *, note, actor=None):
    """Close an open attempt on our side (cancelled): the bank may still be paid on its page for a while, so
    sweep_pending keeps asking about it (RECHECK)."""
    with transaction.atomic():
        attempt = _locked(attempt.pk)
        if not attempt.is_open:
            return attempt
        attempt.state, attempt.finished_at = State.CANCELLED, timezone.now()
        attempt.save(update_fields=["state", "finished_at"])
        _event(attempt, source, state=base.CANCELLED, changed=True, note=note, actor=actor)
    return attempt


ANSWERS = {base.PENDING: gettext_lazy("pas encore de résultat"), base.PAID: gettext_lazy("payé"),
           base.REFUSED: gettext_lazy("refusé"), base.CANCELLED: gettext_lazy("annulé"),
           base.EXPIRED: gettext_lazy("expiré"), base.ERROR: gettext_lazy("erreur")}


def decisions(attempt):
    """What staff may decide about the attempt now, [(decision, label)]: asking the bank again only of a bank
    that can be asked (config.can_ask; the others only send their signed notice), recording a payment the bank
    confirmed for another amount (more than zero), closing an open attempt, or marking one kept for review as
    checked. A bank's test transaction (config.attempt_is_test) took no money: it is only closed or marked as
    checked, never recorded."""
    offered = []
    test = config.attempt_is_test(attempt)
    if attempt.state != State.PAID and config.can_ask(attempt.provider) and not test:
        offered.append(("check", _("Interroger la banque de nouveau")))
    if (attempt.state == State.PAID and attempt.needs_review and not attempt.payment_id
            and attempt.paid_amount is not None and attempt.paid_amount > 0 and not test):
        offered.append(("record", _("Enregistrer le règlement de %(amount)s confirmé par la banque")
                        % {"amount": euros(attempt.paid_amount)}))
    if attempt.is_open:
        offered.append(("close", _("Clore ce paiement : la banque ne le confirmera pas")))
    if attempt.needs_review and not attempt.payment_id and not attempt.is_open:
        offered.append(("dismiss", _("Marquer comme vérifié, sans rien enregistrer")))
    return offered


def reconcile(attempt, *, actor, decision, note):
    """Staff settle an attempt by hand, audited: "check" asks the bank again (a bank that can be asked only);
    "record" records the payment of an attempt the bank confirmed for another amount, for the amount the bank
    confirmed; "close" closes an open attempt the bank will never confirm; "dismiss" takes an attempt kept for
    review off the list with nothing recorded. The attempt, with `said`: what happened, in French."""
    note = (note or "").strip()
    if not note:
        raise PaymentRefused(_("Indiquez le motif."))
    from . import notices

    if decision == "check":
        if not config.can_ask(attempt.provider):
            raise PaymentRefused(_("Cette banque ne peut pas être interrogée : elle envoie seulement sa "
                                   "notification. Rien n'a été fait. Si la notification n'est pas venue, vérifiez "
                                   "le paiement dans l'espace de la banque, puis clôturez-le ou enregistrez-le ici."))
        if attempt.state == State.PAID:
            raise PaymentRefused(_("Ce paiement est déjà payé : la banque n'a plus rien à dire."))
        last = attempt.events.order_by("-pk").values_list("pk", flat=True).first() or 0
        attempt = check(attempt, source=Source.STAFF, actor=actor)
        answer = attempt.events.filter(pk__gt=last).order_by("-pk").first()
        audit.record(actor=actor, action="payment_attempt_check", obj=attempt, family=attempt.family, note=note)
        if answer is None:
            attempt.said = _("Ce paiement n'a jamais été ouvert à la banque : elle n'a rien à en dire.")
        elif answer.state == base.ERROR:
            attempt.said = _("La banque n'a pas pu répondre : rien n'a changé. Réessayez dans quelques minutes.")
        else:
            attempt.said = (_("La banque a répondu : %(answer)s. Le paiement est maintenant « %(state)s ».")
                            % {"answer": ANSWERS.get(answer.state, answer.state),
                               "state": attempt.get_state_display().lower()})
        return attempt
    with transaction.atomic():
        attempt = _locked(attempt.pk)
        if decision == "record":
            if (attempt.state != State.PAID or attempt.payment_id or not attempt.needs_review
                    or attempt.paid_amount is None):
                raise PaymentRefused(_("Seul un paiement confirmé par la banque et mis en attente se régularise."))
            if config.attempt_is_test(attempt):
                raise PaymentRefused(_("C'est une transaction de test de la banque : aucun argent n'a été débité, "
                                       "elle ne s'enregistre pas comme règlement. Marquez-la comme vérifiée."))
            if attempt.paid_amount <= 0:
                raise PaymentRefused(_("La banque confirme un montant nul : il n'y a aucun règlement à "
                                       "enregistrer. Marquez ce paiement comme vérifié."))
            attempt.amount = money(attempt.paid_amount)
            attempt.payment = _record(attempt)
            attempt.needs_review = False
            attempt.save(update_fields=["amount", "payment", "needs_review"])
            transaction.on_commit(lambda pk=attempt.pk: notices.tell_paid(pk))
            attempt.said = _("Le règlement de %(amount)s est enregistré, et noté dans l'historique.") % {
                "amount": euros(attempt.amount)}
        elif decision == "close":
            if not attempt.is_open:
                raise PaymentRefused(_("Ce paiement n'est plus en cours."))
            attempt.state, attempt.finished_at = State.EXPIRED, timezone.now()
            attempt.needs_review = False  # staff decided; a "paid" the bank sends later is still recorded
            attempt.save(update_fields=["state", "finished_at", "needs_review"])
            attempt.said = _("Le paiement est clos, et noté dans l'historique.")
        elif decision == "dismiss":
            if not attempt.needs_review or attempt.payment_id or attempt.is_open:
                raise PaymentRefused(_("Ce paiement n'attend pas de vérification."))
            attempt.needs_review = False
            attempt.save(update_fields=["needs_review"])
            attempt.said = _("Le paiement est marqué comme vérifié, et noté dans l'historique.")
        else:
            raise PaymentRefused(_("Choisissez une décision."))
        _event(attempt, Source.STAFF, state=attempt.state, changed=True, note=note, actor=actor)
        audit.record(actor=actor, action=f"payment_attempt_{decision}", obj=attempt, family=attempt.family,
                     note=note)
    return attempt


def sweep_pending():
    """The sweep's job: every open attempt asked about again (at most once a minute each), and those closed on
    our side (abandoned by the family, superseded, expired here) until RECHECK after their start, since their
    bank page may still be paid; those the bank still has not settled after GIVE_UP, and those never opened at
    the bank, closed. One attempt that fails is logged and skipped. The number handled."""
    now = timezone.now()
    handled = 0
    candidates = (PaymentAttempt.objects.filter(Q(state__in=PaymentAttempt.OPEN_STATES) | Q(
        state__in=[State.CANCELLED, State.EXPIRED], created_at__gte=now - RECHECK) & ~Q(reference=""))
        .filter(Q(checked_at__isnull=True) | Q(checked_at__lt=now - datetime.timedelta(minutes=1)))
        .select_related("regie").order_by("created_at")[:500])
    for attempt in candidates:
        try:
            _sweep_one(attempt, now)
        except Exception:
            logger.exception("The sweep of payment attempt %s failed", attempt.pk)
        handled += 1
    return handled


def _sweep_one(attempt, now):
    if attempt.reference:
        attempt = check(attempt, source=Source.SWEEP)
        if not attempt.is_open:
            # Asked about: until RECHECK, once a minute (check() does not touch an unchanged closed attempt's row).
            PaymentAttempt.objects.filter(pk=attempt.pk).update(checked_at=now)
    if attempt.is_open and attempt.created_at < now - (GIVE_UP if attempt.reference else REUSE):
        with transaction.atomic():
            locked = _locked(attempt.pk)
            if locked.is_open:
                locked.state, locked.finished_at = State.EXPIRED, now
                locked.save(update_fields=["state", "finished_at"])
                _event(locked, Source.SWEEP, state=base.EXPIRED, changed=True,
                       note=NOTE_NO_OUTCOME)


def family_attempts(family):
    return (PaymentAttempt.objects.filter(family=family).select_related("regie", "payment")
            .prefetch_related("invoices"))


def get_for_family(family, token):
    """The household's own attempt, or None (another household's answers as one that does not exist)."""
    return PaymentAttempt.objects.filter(family=family, token=token).select_related("regie").first()


def invoice_numbers(attempt):
    return [i.number for i in attempt.invoices.all() if i.kind == Invoice.Kind.INVOICE]
