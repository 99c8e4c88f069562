from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """A new login's activation link: valid 48 hours, void once a password is set or a login made.

    The parent class reads the reset timeout from settings; activation has its own.
    """

    key_salt = "enfance.accounts.activation"

    def check_token(self, user, token):
        if not (user and token) or token.count("-") != 1:
            return False
        ts_b36, _hash = token.split("-")
        try:
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        secrets = [self.secret, *self.secret_fallbacks]
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token) for secret in secrets
        ):
            return False
        return (self._num_seconds(self._now()) - ts) <= settings.ACTIVATION_TIMEOUT


activation_token = ActivationTokenGenerator()
