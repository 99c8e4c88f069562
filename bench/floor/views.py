from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from floor.models import Family


@login_required
def home(request):
    # The one query of the page (the session and the logged-in user are Django's own, as on the portal).
    family = get_object_or_404(Family, pk=request.user.family_id)
    return render(request, "floor/page.html", {"family": family})
