"""Conversations of the demo commune, so that a new user sees the inbox in use (called by seed_demo)."""

from django.contrib.auth import get_user_model

from enfance.core.attachments import PDF, CleanFile
from enfance.families.models import Child, Family

from . import services
from .models import AnswerTemplate, Broadcast, Topic

DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
TEMPLATES = [
    ("Accusé de réception", "Bonjour,\n\nNous avons bien reçu votre message et vous répondons au plus vite.\n\n"
                            "Le service enfance"),
    ("Justificatif reçu", "Bonjour,\n\nVotre justificatif est bien reçu ; votre dossier est à jour.\n\n"
                          "Le service enfance"),
    ("Horaires de l'accueil", "Bonjour,\n\nL'accueil périscolaire ouvre à 7 h 30 et ferme à 18 h 30, "
                              "le mercredi de 7 h 30 à 18 h.\n\nLe service enfance"),
]


def populate(*, staff):
    User = get_user_model()
    topic = {t.name: t for t in Topic.objects.all()}
    for title, body in TEMPLATES:
        AnswerTemplate.objects.get_or_create(title=title, defaults={"body": body})
    martin = Family.objects.get(logins__username="famille.martin")
    benali = Family.objects.get(logins__username="famille.benali")
    claire = User.objects.get(username="famille.martin")
    benali_login = User.objects.get(username="famille.benali")

    # Answered: a question about the canteen menu.
    menu = services.start_by_family(family=martin, user=claire, subject="Menu sans porc pour Hugo",
                                    topic=topic.get("Restauration scolaire"),
                                    body="Bonjour, Hugo peut-il avoir le menu sans porc à partir de lundi ?")
    services.reply_by_staff(menu.pk, staff=staff, body="Bonjour Madame Martin, c'est noté : le menu sans porc "
                                                       "sera servi à Hugo dès lundi. Le service enfance")
    services.mark_read(menu, claire)
    # Waiting for the commune, with an attachment.
    services.start_by_family(family=martin, user=claire, subject="Attestation pour mon employeur",
                             topic=topic.get("Facturation"),
                             body="Bonjour, pourriez-vous me faire une attestation de frais de garde pour 2026 ? "
                                  "Je joins la demande de mon employeur.",
                             uploads=[CleanFile(DEMO_PDF, PDF, "demande-employeur.pdf")])
    # Unread: a message from the commune to one household.
    services.start_by_commune(family=benali, staff=staff, subject="PAI d'Inès : rendez-vous",
                              topic=topic.get("Dossier de la famille"),
                              body="Bonjour, le médecin scolaire propose de revoir le PAI d'Inès le 8 décembre "
                                   "à 17 h en mairie. Merci de nous confirmer votre venue.")
    services.start_by_family(family=benali, user=benali_login, subject="Centre de loisirs pendant les vacances",
                             topic=topic.get("Accueil de loisirs"),
                             body="Bonjour, les inscriptions pour les vacances de février sont-elles ouvertes ?")
    # A broadcast to the school of the Martin children, delivered at once (the demo has no worker running yet).
    school = (Child.objects.filter(links__family=martin).exclude(school="").values_list("school", flat=True)
              .first()) or ""
    if school:
        broadcast = Broadcast.objects.create(
            subject="Sortie de fin d'année", topic=topic.get("Accueil périscolaire"), created_by=staff,
            audience=Broadcast.Audience.SCHOOL, school=school,
            body="Bonjour, la sortie de fin d'année aura lieu le vendredi 19 décembre. Pensez au pique-nique !")
        services.deliver_broadcast(broadcast.pk)

