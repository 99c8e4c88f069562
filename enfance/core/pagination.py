"""Long lists, 50 rows a page; the links (core/_pagination.html) keep the page's other query parameters."""

from django.core.paginator import Paginator

PER_PAGE = 50


def paginate(request, queryset, per_page=PER_PAGE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
