from django.urls import path, register_converter

from . import sandbox, views


class TokenConverter:
    """An attempt's or a sandbox operation's token (models.new_token: 32 URL-safe characters): anything else is
    no URL of ours (404), never a query."""

    regex = "[A-Za-z0-9_-]{32}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TokenConverter, "token")

app_name = "payments"

urlpatterns = [
    path("portail/paiements/", views.attempt_list, name="list"),
    path("portail/paiements/payer/", views.start, name="start"),
    path("portail/paiements/<token:token>/abandonner/", views.abandon, name="abandon"),
    path("paiement/<token:token>/", views.result, name="result"),
    path("paiement/<token:token>/notification/", views.notify, name="notify"),
    path("paiement/<token:token>/retour/", views.back, name="back"),
    path("paiement/<token:token>/banque/", views.go, name="go"),
    path("paiement/regie/<slug:code>/notification/", views.regie_notify, name="regie_notify"),
    path("banque-test/<token:token>/", sandbox.bank_page, name="sandbox_bank"),
]
