"""`manage.py demo_logins`: what `make run` prints before serving (demo logins, where e-mails go, the URL)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from enfance.families.management.commands.seed_demo import DEMO_LOGINS

URL = "http://127.0.0.1:8000"

EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "affichés dans ce terminal",
    "django.core.mail.backends.locmem.EmailBackend": "gardés en mémoire (tests)",
    "django.core.mail.backends.dummy.EmailBackend": "jetés (aucun envoi)",
    "django.core.mail.backends.smtp.EmailBackend": "envoyés par SMTP",
}


def email_destination():
    backend = settings.EMAIL_BACKEND
    if backend == "django.core.mail.backends.filebased.EmailBackend":
        return f"écrits dans le dossier {settings.EMAIL_FILE_PATH} (un fichier par envoi)"
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        return f"envoyés par SMTP à {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return EMAIL_BACKENDS.get(backend, f"confiés à {backend}")


class Command(BaseCommand):
    help = "Affiche les identifiants de démonstration, la destination des courriels et l'adresse du site."

    def handle(self, *args, **options):
        width_user = max(len(u) for u, *_ in DEMO_LOGINS)
        width_pass = max(len(p) for _u, p, *_ in DEMO_LOGINS)
        lines = [
            "",
            f"Enfance : commune de démonstration ({settings.COMMUNE_NAME})",
            "",
            f"  {'Identifiant':<{width_user}}  {'Mot de passe':<{width_pass}}  Qui",
            f"  {'-' * width_user}  {'-' * width_pass}  {'-' * 40}",
        ]
        for username, password, _role, who in DEMO_LOGINS:
            lines.append(f"  {username:<{width_user}}  {password:<{width_pass}}  {who}")
        lines += [
            "",
            f"Courriels : {email_destination()}.",
            f"Adresse   : {URL}/",
            "",
        ]
        self.stdout.write("\n".join(lines))
