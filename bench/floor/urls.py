from django.contrib.auth.views import LoginView
from django.urls import path

from floor.views import home

# The portal's paths, so that bench/portal_pages.py logs in and measures both servers with the same client.
urlpatterns = [
    path("connexion/", LoginView.as_view(template_name="floor/login.html"), name="login"),
    path("portail/", home, name="home"),
]
