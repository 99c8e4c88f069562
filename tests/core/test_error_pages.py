from django.test import Client


def test_missing_page_answers_in_french(alice_client):
    response = alice_client.get("/portail/enfants/987654321/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_forbidden_page_answers_in_french(alice_client):
    response = alice_client.get("/gestion/")
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_server_error_page_is_in_french_and_standalone(db):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Une erreur est survenue" in html and "Rien de ce que vous avez déjà enregistré" in html
    assert Client().get("/pas-de-page/").status_code == 404
