from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("compte/mot-de-passe/", views.PasswordChangeView.as_view(), name="password_change"),
    path("compte/mot-de-passe/modifie/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("mot-de-passe-oublie/", views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe-oublie/envoye/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reinitialisation/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("reinitialisation/terminee/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("identifiant-oublie/", views.username_reminder, name="username_reminder"),
    path("identifiant-oublie/envoye/", views.username_reminder_done, name="username_reminder_done"),
    path("activation/<uidb64>/<token>/", views.activate, name="activate"),
]
