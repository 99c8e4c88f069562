from django.shortcuts import render

from enfance.accounts.decorators import staff_required


@staff_required
def home(request):
    return render(request, "backoffice/home.html", {"section": "home"})


@staff_required
def families(request):
    return render(request, "backoffice/home.html", {"section": "families"})
