from functools import lru_cache

from django.conf import settings

# How a form whose POST is answered by a redirect to a bank's page opens (payments/_pay_button.html, the pay
# button). Browsers check that redirect against the form-action of the page HOLDING the form, not against the
# redirect's own response (Chromium, shown by tests/e2e/test_bank_redirects.py), so the page holding it must
# allow the banks' origins (settings.PAYMENT_FORM_ORIGINS). Escaped text can never hold it ("<" is "&lt;").
BANK_REDIRECT_FORM = b"<form data-bank-redirect "


@lru_cache(maxsize=32)
def content_security_policy(form_origins=()):
    """Our own scripts and styles only, nothing from outside; forms sent here, or to the banks named."""
    targets = " ".join(("'self'", *form_origins))
    return ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"form-action {targets}; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")


def form_origins(request, response):
    """The origins besides ours this response's forms may be sent to (the CSP's form-action): those a view set
    on `request.csp_form_origins`, and the payment banks' when the page holds a form that redirects to them. Any
    other page allows its own origin only."""
    origins = tuple(getattr(request, "csp_form_origins", ()))
    if (not response.streaming and response.get("Content-Type", "").startswith("text/html")
            and BANK_REDIRECT_FORM in response.content):
        origins += tuple(o for o in settings.PAYMENT_FORM_ORIGINS if o not in origins)
    return origins


class SecurityHeadersMiddleware:
    """A strict content security policy (see content_security_policy and form_origins), and no caching of
    personal pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = content_security_policy(form_origins(request, response))
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            # Pages with personal data are not kept by shared caches or the back button of a kiosk.
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response
