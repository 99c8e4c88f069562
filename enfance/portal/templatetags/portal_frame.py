"""The Portail Famille's menu, on every portal page, built in Python from texts translated and URLs reversed once
per process and language: as a template (nine links, each a reversed URL, a translated label and a test of the
page's section) it cost a tenth of the simplest pages' time. The markup is the one portal/_nav.html had."""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

register = template.Library()


def _items():
    """(section, URL name, label) of the menu's links, in order."""
    return (
        ("home", "portal:home", _("Accueil")),
        ("calendar", "portal:calendar", _("Réservations")),
        ("registrations", "portal:registrations", _("Inscriptions")),
        ("billing", "portal:invoices", _("Mes factures")),
        ("information", "portal:information", _("Mes informations")),
        ("requests", "portal:requests", _("Mes demandes")),
        ("inbox", "portal:inbox", _("Messagerie")),
        ("preferences", "portal:preferences", _("Mes préférences")),
        ("account", "accounts:password_change", _("Mot de passe")),
    )


@lru_cache(maxsize=16)
def _menu(language, script_prefix, urlconf, root_urlconf):
    """The menu's opening tag and, per link, (section, its <li> up to the label included, its end): translated
    labels are not escaped, as {% translate %} leaves them."""
    opening = f'<nav class="nav" aria-label="{_("Menu du Portail Famille")}">\n  <ul>\n'
    links = tuple(
        (section, f'    <li><a href="{conditional_escape(reverse(name, urlconf=urlconf))}"', f">{label}")
        for section, name, label in _items()
    )
    return opening, links, "  </ul>\n</nav>\n"


def _unread(count):
    """The inbox's count of unread conversations, as portal/_nav.html rendered it."""
    words = ngettext("conversation non lue", "conversations non lues", count)
    return f' <span class="count">{count}<span class="visually-hidden"> {words}</span></span>'


@register.simple_tag(takes_context=True)
def portal_nav(context):
    """The menu: the link of the page's `section` marked as current, the inbox's with `inbox_unread` (a number,
    or a callable counting on demand: see portal.context_processors.inbox)."""
    opening, links, closing = _menu(get_language(), get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    section = context.get("section")
    unread = context.get("inbox_unread")
    if callable(unread):
        unread = unread()
    parts = [opening]
    for item, start, label in links:
        current = ' aria-current="page"' if item == section else ""
        count = _unread(unread) if item == "inbox" and unread else ""
        parts.append(f"{start}{current}{label}{count}</a></li>\n")
    parts.append(closing)
    return mark_safe("".join(parts))  # noqa: S308  (URLs escaped, labels translated as {% translate %} gives them)
