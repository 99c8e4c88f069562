"""The back office's billing pages: invoice runs (agents and administrators), régies and tariffs
(administrators edit, agents read), a household's quotient familial. Included by backoffice/urls.py."""

from django.urls import path

from .views import billing, billing_config

RUN = "facturation/<int:run_id>/"

urlpatterns = [
    path("facturation/", billing.billing_home, name="billing"),
    path("facturation/nouvelle/", billing.run_new, name="run_new"),
    path(RUN, billing.run_detail, name="run"),
    path(RUN + "avancement/", billing.run_progress, name="run_progress"),
    path(RUN + "factures/<int:invoice_id>/", billing.run_draft, name="run_draft"),
    path(RUN + "emettre/", billing.run_issue, name="run_issue"),
    path(RUN + "abandonner/", billing.run_discard, name="run_discard"),
    path(RUN + "previsualiser-a-nouveau/", billing.run_again, name="run_again"),
    path("facturation/regies/", billing_config.regie_list, name="regies"),
    path("facturation/regies/nouvelle/", billing_config.regie_new, name="regie_new"),
    path("facturation/regies/<int:regie_id>/", billing_config.regie_edit, name="regie_edit"),
    path("facturation/tarifs/", billing_config.tariff_list, name="tariffs"),
    path("facturation/tarifs/prestations/<int:unit_id>/nouveau/", billing_config.tariff_new, name="tariff_new"),
    path("facturation/tarifs/<int:tariff_id>/", billing_config.tariff_edit, name="tariff_edit"),
    path("familles/<int:family_id>/quotient-familial/", billing.family_quotient, name="family_quotient"),
]
