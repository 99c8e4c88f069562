"""A household's logins (create and invite, resend, close) and the staff accounts page."""


import pytest
from django.core import mail
from django.urls import reverse

from enfance.accounts.models import User
from enfance.core.models import AuditEntry
from enfance.families.models import Family, Guardian
from tests.factories import UserFactory
from tests.helpers import text

from .conftest import client_for


def new_login_data(family, **extra):
    marc = Guardian.objects.get(family=family, rank=2)
    return {"guardian": marc.pk, "username": "famille.marc-alice", "email": "marc@example.org", **extra}


def test_login_creation_is_refused_before_the_paper_dossier(staff_client, alice):
    family = alice.family
    Family.objects.filter(pk=family.pk).update(dossier_received_on=None)
    url = reverse("backoffice:family_login_create", args=[family.pk])
    response = staff_client.post(url, new_login_data(family), follow=True)
    assert "Pas d'identifiant pour le Portail Famille avant la réception du dossier papier signé" in text(response)
    assert not User.objects.filter(username="famille.marc-alice").exists()
    assert staff_client.get(url).status_code == 302
    assert mail.outbox == []


def test_login_creation_sends_the_activation_link(staff_client, alice, staff, django_capture_on_commit_callbacks):
    family = alice.family
    url = reverse("backoffice:family_login_create", args=[family.pk])
    form = staff_client.get(url)
    assert form.status_code == 200
    assert 'value="famille.alice2"' in form.content.decode()  # a free username is suggested
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, new_login_data(family))
    assert response.status_code == 302
    login = User.objects.get(username="famille.marc-alice")
    assert login.family == family and login.guardian.rank == 2 and login.role == "family"
    assert not login.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["marc@example.org"]
    assert "/activation/" in mail.outbox[0].body
    assert AuditEntry.objects.filter(family=family, action="login_created", actor=staff).exists()
    assert AuditEntry.objects.filter(family=family, action="login_invited", actor=staff).exists()
    body = text(staff_client.get(reverse("backoffice:family", args=[family.pk])))
    assert "famille.marc-alice" in body and "En attente d'activation" in body


def test_login_creation_refuses_a_used_username_and_a_guardian_with_an_open_login(staff_client, alice):
    family = alice.family
    alice_guardian = Guardian.objects.get(family=family, rank=1)
    response = staff_client.post(reverse("backoffice:family_login_create", args=[family.pk]),
                                 {"guardian": alice_guardian.pk, "username": "FAMILLE.ALICE", "email": "x@example.org"})
    body = text(response)
    assert response.status_code == 200
    assert "Cet identifiant est déjà utilisé." in body and "Ce responsable a déjà un identifiant ouvert." in body


def test_login_creation_refuses_another_households_guardian(staff_client, alice, bob):
    bob_guardian = Guardian.objects.get(family=bob.family, rank=1)
    response = staff_client.post(reverse("backoffice:family_login_create", args=[alice.family_id]),
                                 {"guardian": bob_guardian.pk, "username": "famille.intrus", "email": "i@example.org"})
    assert response.status_code == 200
    assert not User.objects.filter(username="famille.intrus").exists()


@pytest.fixture
def pending(alice):
    login = User(username="famille.marc", email="marc@example.org", role="family", family=alice.family)
    login.set_unusable_password()
    login.save()
    return login


def invite_url(login):
    return reverse("backoffice:family_login_invite", args=[login.family_id, login.pk])


def test_resend_the_invitation(staff_client, pending, django_capture_on_commit_callbacks):
    assert staff_client.get(invite_url(pending)).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(invite_url(pending), follow=True)
    assert "Une nouvelle invitation est envoyée à marc@example.org." in text(response)
    assert len(mail.outbox) == 1 and "famille.marc" in mail.outbox[0].body


def test_resend_is_refused_for_an_activated_or_closed_login(staff_client, alice, pending,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(invite_url(alice), follow=True)
        assert "est déjà activé" in text(response)
        User.objects.filter(pk=pending.pk).update(is_active=False)
        response = staff_client.post(invite_url(pending), follow=True)
        assert "est fermé" in text(response)
    assert mail.outbox == []


def test_resend_refuses_another_households_login(staff_client, alice, bob):
    url = reverse("backoffice:family_login_invite", args=[alice.family_id, bob.pk])
    assert staff_client.post(url).status_code == 404


def test_close_a_login(staff_client, alice, staff):
    url = reverse("backoffice:family_login_close", args=[alice.family_id, alice.pk])
    assert "Fermer l'identifiant famille.alice" in text(staff_client.get(url))
    assert User.objects.get(pk=alice.pk).is_active
    assert staff_client.post(url).status_code == 302
    assert not User.objects.get(pk=alice.pk).is_active
    entry = AuditEntry.objects.filter(object_type="login").latest("id")
    assert entry.family == alice.family and entry.actor == staff and entry.changes == {"is_active": ["oui", "non"]}
    assert entry.action == AuditEntry.Action.LOGIN_CLOSED
    # A closed login's open session ends.
    assert client_for(alice).get(reverse("portal:home")).status_code in (302, 403)


# --- staff accounts: administrators only -----------------------------------------------------------------

def test_staff_accounts_page_lists_staff_logins_only(admin_client_, staff, leader, alice):
    response = admin_client_.get(reverse("backoffice:staff"))
    assert response.status_code == 200
    body = text(response)
    assert "agent.test" in body and "animateur.test" in body and "admin.test" in body
    assert "famille.alice" not in body


def test_admin_creates_a_staff_account_with_a_role(admin_client_, admin_user, django_capture_on_commit_callbacks):
    url = reverse("backoffice:staff_create")
    assert admin_client_.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(url, {"first_name": "Léo", "last_name": "Blanc", "username": "leo.blanc",
                                            "email": "leo@mairie.example", "role": "leader"})
    assert response.status_code == 302
    user = User.objects.get(username="leo.blanc")
    assert user.role == "leader" and not user.has_usable_password() and user.family is None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["leo@mairie.example"]
    assert AuditEntry.objects.filter(action="login_created", actor=admin_user, object_id=str(user.pk)).exists()
    assert AuditEntry.objects.filter(action="login_invited", actor=admin_user, object_id=str(user.pk)).exists()


def test_staff_account_form_refuses_bad_input(admin_client_):
    response = admin_client_.post(reverse("backoffice:staff_create"), {
        "first_name": "A", "last_name": "B", "username": "admin.test", "email": "pas-une-adresse", "role": "family"})
    body = text(response)
    assert response.status_code == 200
    assert "Cet identifiant est déjà utilisé." in body
    assert "Saisissez une adresse de courriel valide." in body
    assert "Sélectionnez un choix valide." in body
    assert User.objects.filter(role="family").count() == 0


def test_admin_closes_a_staff_account_but_not_their_own(admin_client_, admin_user, staff):
    url = reverse("backoffice:staff_close", args=[staff.pk])
    assert admin_client_.get(url).status_code == 200
    assert admin_client_.post(url).status_code == 302
    assert not User.objects.get(pk=staff.pk).is_active
    own = reverse("backoffice:staff_close", args=[admin_user.pk])
    assert "Vous ne pouvez pas fermer votre propre compte." in text(admin_client_.post(own, follow=True))
    assert User.objects.get(pk=admin_user.pk).is_active


def test_staff_close_does_not_reach_family_logins(admin_client_, alice):
    assert admin_client_.post(reverse("backoffice:staff_close", args=[alice.pk])).status_code == 404


def test_admin_only_pages_refuse_agents_and_leaders(staff, leader, alice):
    other = UserFactory(username="agent.autre", role="agent")
    urls = [reverse("backoffice:staff"), reverse("backoffice:staff_create"),
            reverse("backoffice:staff_close", args=[other.pk]), reverse("backoffice:health_log")]
    for user in (staff, leader, alice):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
            assert client.post(url, {"username": "x"}).status_code == 403, (user, url)
    assert User.objects.get(pk=other.pk).is_active
