from django.conf import settings


def content_security_policy(form_origins=()):
    """Our own scripts and styles only, nothing from outside; forms sent here, or to the banks named."""
    targets = " ".join(("'self'", *form_origins))
    return ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"form-action {targets}; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")


class SecurityHeadersMiddleware:
    """A strict content security policy (see content_security_policy), and no caching of personal pages."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.POLICY = content_security_policy(settings.PAYMENT_FORM_ORIGINS)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            # Pages with personal data are not kept by shared caches or the back button of a kiosk.
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response
