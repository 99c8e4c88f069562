"""Logins: a household's logins (create and invite, resend, close) and, for administrators, staff accounts."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enfance.accounts import services as account_services
from enfance.accounts.decorators import staff_required
from enfance.accounts.models import User
from enfance.core.pagination import paginate
from enfance.families import access

from ..forms import FamilyLoginForm, StaffAccountForm
from ._common import family_url, refuse_archived_family
from .families import login_status

NO_DOSSIER = gettext_lazy("Pas d'identifiant pour le Portail Famille avant la réception du dossier papier signé : "
                         "indiquez d'abord la date de réception du dossier dans l'adresse du foyer.")


def _refuse_without_dossier(request, family):
    if family.dossier_received_on is None:
        messages.error(request, str(NO_DOSSIER))
        return redirect(family_url(family, "identifiants"))
    return None


def _family_login(family, user_id):
    return get_object_or_404(User, pk=user_id, family=family, role=User.Role.FAMILY)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def family_login_create(request, family_id):
    family = access.get_family_for_staff(request.user, family_id)
    refused = refuse_archived_family(request, family) or _refuse_without_dossier(request, family)
    if refused is not None:
        return refused
    guardians = list(family.guardians.all())
    if not guardians:
        messages.error(request, _("Indiquez d'abord le responsable du foyer."))
        return redirect(family_url(family, "responsable"))
    wanted = request.GET.get("responsable", "")
    with_login = {u.guardian_id for u in family.logins.all() if u.is_active}
    guardian = (next((g for g in guardians if str(g.pk) == wanted), None)
                or next((g for g in guardians if g.pk not in with_login), guardians[0]))
    form = FamilyLoginForm(
        request.POST if request.method == "POST" else None,
        family=family,
        initial={"guardian": guardian.pk, "username": account_services.suggest_username(family, guardian),
                 "email": guardian.email},
    )
    if form.is_valid():
        login = account_services.create_family_login(
            family, actor=request.user, username=form.cleaned_data["username"], email=form.cleaned_data["email"],
            guardian=form.cleaned_data["guardian"],
        )
        messages.success(request, _("L'identifiant %(username)s est créé ; le lien d'activation (valable 48 heures) "
                                    "est envoyé à %(email)s.") % {"username": login.username, "email": login.email})
        return redirect(family_url(family, "identifiants"))
    return render(request, "backoffice/record_form.html", {
        "section": "families",
        "form": form,
        "title": _("Créer un identifiant pour le foyer %(ref)s") % {"ref": family.reference},
        "subject": family,
        "family": family,
        "cancel_url": family_url(family, "identifiants"),
        "button": _("Créer l'identifiant et envoyer l'invitation"),
        "intro": _("L'identifiant est créé sans mot de passe : son titulaire reçoit par courriel un lien, "
                   "valable 48 heures, pour choisir le sien."),
    })


@staff_required(edit=True)
@require_POST
def family_login_invite(request, family_id, user_id):
    family = access.get_family_for_staff(request.user, family_id)
    login = _family_login(family, user_id)
    refused = refuse_archived_family(request, family) or _refuse_without_dossier(request, family)
    if refused is not None:
        return refused
    try:
        account_services.resend_activation(login, actor=request.user)
    except account_services.LoginNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Une nouvelle invitation est envoyée à %(email)s.") % {"email": login.email})
    return redirect(family_url(family, "identifiants"))


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def family_login_close(request, family_id, user_id):
    family = access.get_family_for_staff(request.user, family_id)
    login = _family_login(family, user_id)
    if (refused := refuse_archived_family(request, family)) is not None:
        return refused
    return _close(request, login, family_url(family, "identifiants"))


def _close(request, login, done_url):
    if not login.is_active:
        messages.info(request, _("L'identifiant %(username)s est déjà fermé.") % {"username": login.username})
        return redirect(done_url)
    if request.method == "POST":
        try:
            account_services.close_login(login, actor=request.user)
        except account_services.LoginNotAllowed as exc:
            messages.error(request, str(exc))
            return redirect(done_url)
        messages.success(request, _("L'identifiant %(username)s est fermé.") % {"username": login.username})
        return redirect(done_url)
    return render(request, "backoffice/confirm.html", {
        "section": "staff" if login.is_staff_member else "families",
        "title": _("Fermer l'identifiant %(username)s") % {"username": login.username},
        "message": _("Cet identifiant ne pourra plus se connecter ; une session ouverte prend fin à la page "
                     "suivante. Les données du dossier sont conservées."),
        "button": _("Fermer l'identifiant %(username)s") % {"username": login.username},
        "cancel_url": done_url,
        "danger": True,
    })


# --- staff accounts (administrators only) -------------------------------------------------------------

STAFF_ROLES = [User.Role.ADMIN, User.Role.AGENT, User.Role.LEADER]


@staff_required(admin=True)
@require_GET
def staff_list(request):
    page = paginate(request, User.objects.filter(role__in=STAFF_ROLES).order_by("-is_active", "username"))
    for user in page.object_list:
        user.status, user.status_label = login_status(user)
    return render(request, "backoffice/staff_list.html", {"section": "staff", "page": page})


@staff_required(admin=True)
@require_http_methods(["GET", "POST"])
def staff_create(request):
    form = StaffAccountForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        user = account_services.create_staff_login(
            actor=request.user, username=data["username"], email=data["email"], role=data["role"],
            first_name=data["first_name"], last_name=data["last_name"],
        )
        messages.success(request, _("Le compte %(username)s est créé ; le lien d'activation est envoyé à %(email)s.")
                         % {"username": user.username, "email": user.email})
        return redirect("backoffice:staff")
    return render(request, "backoffice/record_form.html", {
        "section": "staff",
        "form": form,
        "title": _("Créer un compte du personnel"),
        "cancel_url": reverse("backoffice:staff"),
        "button": _("Créer le compte et envoyer l'invitation"),
        "intro": _("Administrateur : paramètres et comptes du personnel. Agent : dossiers des familles. "
                   "Animateur : lecture seule, dont les données sanitaires des enfants."),
    })


@staff_required(admin=True)
@require_http_methods(["GET", "POST"])
def staff_close(request, user_id):
    login = get_object_or_404(User, pk=user_id, role__in=STAFF_ROLES)
    return _close(request, login, reverse("backoffice:staff"))
