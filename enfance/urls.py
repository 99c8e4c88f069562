from django.urls import include, path

urlpatterns = [
    path("", include("enfance.accounts.urls")),
    path("", include("enfance.public.urls")),
    path("", include("enfance.payments.urls")),
    path("portail/", include("enfance.portal.urls")),
    path("gestion/", include("enfance.backoffice.urls")),
]
