from django.db.models import Count, Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from enfance.accounts.decorators import staff_required
from enfance.core.models import AuditEntry
from enfance.families import access
from enfance.families.models import Child

from .. import audit_display
from ..forms import SearchForm

RECENT = 15


@staff_required
@require_GET
def home(request):
    families = access.families_visible_to(request.user)
    counts = families.aggregate(
        active=Count("pk", filter=Q(archived_at__isnull=True)),
        archived=Count("pk", filter=Q(archived_at__isnull=False)),
    )
    children = Child.objects.filter(links__family__in=families.filter(archived_at__isnull=True)).distinct().count()
    entries = AuditEntry.objects.select_related(*audit_display.RELATED)
    if not access.sees_all_households(request.user):
        entries = entries.filter(family__in=families)
    entries = entries[:RECENT]
    return render(request, "backoffice/home.html", {
        "section": "home",
        "counts": counts,
        "children_count": children,
        "search_form": SearchForm(),
        "entries": audit_display.lines(entries, show_financial=access.sees_financial_data(request.user)),
    })
