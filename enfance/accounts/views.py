import math

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from enfance.core import ratelimit
from enfance.core.forms import bound_data

from . import lockout, services
from .forms import LoginForm, OutboxPasswordResetForm, UsernameReminderForm
from .tokens import activation_token

User = get_user_model()


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
def home(request):
    if request.user.is_family:
        return redirect("portal:home")
    return redirect("backoffice:home")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = OutboxPasswordResetForm
    email_template_name = "accounts/email/password_reset.txt"  # first line: the subject
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever chose a new password through the e-mailed link owns the login: no waiting any more.
        lockout.lift(form.user, self.request)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@never_cache
@sensitive_post_parameters()
def activate(request, uidb64, token):
    """A new login chooses its password through the link it received (valid 48 hours)."""
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not user.is_active or not activation_token.check_token(user, token):
        return render(request, "accounts/activation_invalid.html", status=400)
    form = SetPasswordForm(user, bound_data(request)[0])
    if request.method == "POST" and form.is_valid():
        form.save()
        lockout.lift(user, request)
        messages.success(request, _("Votre mot de passe est enregistré. Vous pouvez vous connecter."))
        return redirect("accounts:login")
    return render(request, "accounts/activate.html", {"form": form, "login_user": user})


REMINDERS_PER_HOUR = 5


@never_cache
@require_http_methods(["GET", "POST"])
def username_reminder(request):
    """Ask for one's username(s) by e-mail. The same answer whatever the address (nothing to enumerate);
    only well-formed requests count against the limit, so that a typo costs nothing."""
    form = UsernameReminderForm(bound_data(request)[0])
    if request.method == "POST" and form.is_valid():
        if ratelimit.hit("username_reminder", request, limit=REMINDERS_PER_HOUR, window=3600):
            services.send_username_reminder(form.cleaned_data["email"])
            return redirect("accounts:username_reminder_done")
        ratelimit.release("username_reminder", request)
        minutes = max(1, math.ceil(ratelimit.retry_after("username_reminder", request) / 60))
        form.add_error(None, ngettext(
            "Plusieurs demandes sont déjà parties de votre connexion dans l'heure : réessayez dans %(n)d minute.",
            "Plusieurs demandes sont déjà parties de votre connexion dans l'heure : réessayez dans %(n)d minutes.",
            minutes) % {"n": minutes})
        return render(request, "accounts/username_reminder.html", {"form": form}, status=429)
    return render(request, "accounts/username_reminder.html", {"form": form})


@require_GET
def username_reminder_done(request):
    return render(request, "accounts/username_reminder_done.html")
