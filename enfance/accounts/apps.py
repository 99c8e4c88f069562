from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.accounts"
    label = "accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import lockout

        user_login_failed.connect(lockout.remember_failure, dispatch_uid="enfance.accounts.remember_failure")
        user_logged_in.connect(lockout.forget_on_login, dispatch_uid="enfance.accounts.forget_on_login")
