"""Signals other apps listen to, so that `changes` never imports them.

request_decided(request): sent inside the decision's transaction once a request is approved or rejected
(not when the household cancels it); messaging puts the decision in the household's inbox and e-mails it.
"""

from django.dispatch import Signal

request_decided = Signal()
