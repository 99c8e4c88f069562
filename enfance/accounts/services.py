import re
import unicodedata

from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from enfance.core import audit
from enfance.core.mail import send_templated_email
from enfance.core.models import AuditEntry

from .models import User
from .tokens import activation_token


def suggest_username(family, guardian=None):
    base = guardian.last_name if guardian else family.reference
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode().lower()
    base = "famille." + (re.sub(r"[^a-z0-9]+", "-", base).strip("-") or family.reference.lower())
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def activation_path(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:activate", args=[uid, activation_token.make_token(user)])


class LoginNotAllowed(Exception):
    pass


@transaction.atomic
def create_family_login(family, *, actor, username, email, guardian=None, send=True):
    """A household login with no password yet; its owner sets one through the activation link.

    No portal account before the signed paper dossier has arrived, and none for an archived household.
    """
    if family.archived_at is not None:
        raise LoginNotAllowed(_("Ce foyer est archivé : aucun identifiant ne peut lui être créé."))
    if family.dossier_received_on is None:
        raise LoginNotAllowed(_("Le dossier papier signé de ce foyer n'a pas été reçu : "
                                "aucun accès au portail avant sa réception."))
    user = User(username=username, email=email, role=User.Role.FAMILY, family=family, guardian=guardian,
                first_name=guardian.first_name if guardian else "", last_name=guardian.last_name if guardian else "")
    user.set_unusable_password()
    user.save()
    audit.record(actor=actor, action=AuditEntry.Action.LOGIN_CREATED, obj=user, family=family,
                 object_type="login", note=username)
    if send:
        send_activation(user, actor=actor)
    return user


def resend_activation(user, *, actor):
    """A new activation link for a login whose owner has not chosen a password yet."""
    if not user.is_active:
        raise LoginNotAllowed(_("L'identifiant %(username)s est fermé : aucune invitation n'est envoyée.")
                              % {"username": user.username})
    if user.has_usable_password():
        raise LoginNotAllowed(_("L'identifiant %(username)s est déjà activé : en cas d'oubli, son titulaire "
                                "utilise « Mot de passe oublié ».") % {"username": user.username})
    if not user.email:
        raise LoginNotAllowed(_("L'identifiant %(username)s n'a pas d'adresse électronique.")
                              % {"username": user.username})
    send_activation(user, actor=actor)


def send_activation(user, *, actor):
    send_templated_email(user.email, "accounts/email/activation.txt",
                         {"user": user, "path": activation_path(user)})
    audit.record(actor=actor, action=AuditEntry.Action.LOGIN_INVITED, obj=user, family=user.family,
                 object_type="login", note=user.email)


@transaction.atomic
def close_login(user, *, actor, note=""):
    """The login can no longer sign in; its open sessions end at their next request. Closing twice is harmless.

    Nobody closes their own login (an administrator would lock themselves out).
    """
    if actor is not None and user.pk == actor.pk:
        raise LoginNotAllowed(_("Vous ne pouvez pas fermer votre propre compte."))
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit.record(actor=actor, action=AuditEntry.Action.LOGIN_CLOSED, obj=user, family=user.family,
                 object_type="login", changes={"is_active": [_("oui"), _("non")]},
                 note=note or _("identifiant %(username)s fermé") % {"username": user.username})
    return user


@transaction.atomic
def create_staff_login(*, actor, username, email, role, first_name="", last_name=""):
    user = User(username=username, email=email, role=role, first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    user.save()
    audit.record(actor=actor, action=AuditEntry.Action.LOGIN_CREATED, obj=user, object_type="login",
                 note=f"{username} ({user.get_role_display()})")
    send_activation(user, actor=actor)
    return user


@transaction.atomic
def sync_guardian_email(guardian, *, actor):
    """The open logins of a guardian take the guardian's e-mail address: one source of truth, so that
    password resets, username reminders and notifications reach the address the household gave last.

    An emptied address is not copied: a login without one could no longer reset its password.
    """
    new = guardian.email
    if not new:
        return []
    moved = []
    for user in User.objects.select_for_update().filter(guardian=guardian, is_active=True).order_by("pk"):
        if user.email == new:
            continue
        old, user.email = user.email, new
        user.save(update_fields=["email"])
        audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=user, family=user.family,
                     object_type="login", changes={"email": [old, new]})
        moved.append(user)
    return moved


def send_username_reminder(email):
    """Send to `email` the usernames of the open logins having that address (a household may have two).

    Says nothing to the caller either way, so that the page cannot tell whether an address is known.
    """
    logins = User.objects.filter(email__iexact=email.strip(), is_active=True).order_by("username")
    by_address = {}
    for user in logins:
        by_address.setdefault(user.email, []).append(user.username)
    for address, usernames in by_address.items():
        send_templated_email(address, "accounts/email/username_reminder.txt",
                             {"usernames": usernames, "login_path": reverse("accounts:login"),
                              "reset_path": reverse("accounts:password_reset")})
