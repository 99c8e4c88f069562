"""One notification mechanism: each kind of event declares its e-mail template and its default.

Later capabilities (a new invoice, a payment receipt, a freed place on a waiting list) add their
kind with `register()` from their AppConfig.ready(). Each login chooses, on "Mes préférences",
which kinds it receives by e-mail; account e-mails (activation, reset, username reminder) are not
notifications and always go. Every notification e-mail carries a signed link that turns its kind
off without logging in.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from enfance.core.mail import send_templated_email

from .models import NotificationPreference

OPTOUT_SALT = "enfance.messaging.optout"


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    template: str
    default: bool = True
    help_text: str = ""
    # Always e-mailed, whatever the login chose, and without an unsubscribe link: what a household must be told
    # in writing (a reminder of an unpaid invoice comes before the treasury's recovery).
    always: bool = False


KINDS = {}


def register(kind):
    if kind.key in KINDS:
        raise ValueError(f"notification kind {kind.key!r} registered twice")
    KINDS[kind.key] = kind
    return kind


def all_kinds():
    return list(KINDS.values())


def optional_kinds():
    """The kinds a login may turn off ("Mes préférences")."""
    return [kind for kind in KINDS.values() if not kind.always]


def preferences(user):
    """{kind key: receives it by e-mail} for every kind, defaults filled in."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return {kind.key: kind.always or chosen.get(kind.key, kind.default) for kind in KINDS.values()}


def set_preference(user, kind_key, email):
    if kind_key not in KINDS or KINDS[kind_key].always:
        raise KeyError(kind_key)
    NotificationPreference.objects.update_or_create(user=user, kind=kind_key, defaults={"email": email})


def optout_token(user, kind_key):
    return signing.dumps({"u": user.pk, "k": kind_key}, salt=OPTOUT_SALT, compress=True)


def read_optout_token(token):
    """(user id, kind key), or None for a token that was not made here."""
    try:
        data = signing.loads(token, salt=OPTOUT_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in KINDS or not isinstance(data.get("u"), int):
        return None
    return data["u"], data["k"]


def optout_url(user, kind_key):
    return settings.SITE_URL + reverse("public:optout", args=[optout_token(user, kind_key)])


def recipients(family):
    """The household's open logins with an address (each guardian's own login reads and chooses for itself)."""
    return [login for login in family.logins.all() if login.is_active and login.email]


def notify(kind_key, *, family, context, reference=""):
    """E-mail each login of the household that wants this kind; the portal shows the event whatever happens."""
    kind = KINDS[kind_key]
    logins = recipients(family)
    if not logins:
        return 0
    chosen = dict(NotificationPreference.objects.filter(user__in=logins, kind=kind_key).values_list("user", "email"))
    sent = 0
    for login in logins:
        if not kind.always and not chosen.get(login.pk, kind.default):
            continue
        unsubscribe = "" if kind.always else optout_url(login, kind_key)
        send_templated_email(login.email, kind.template, {
            **context, "login": login, "optout_url": unsubscribe, "notification": kind,
        }, reference=reference, unsubscribe_url=unsubscribe)
        sent += 1
    return sent


register(Kind("message", _("Un message de la mairie"), "messaging/email/message.txt",
              help_text=_("Une réponse à vos messages, ou un message de la mairie à votre foyer.")))
register(Kind("decision", _("La décision sur l'une de mes demandes"), "changes/email/decision.txt",
              help_text=_("Une demande validée ou refusée par la mairie.")))
