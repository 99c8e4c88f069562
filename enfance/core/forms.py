from django import forms

# Dates typed in French order or picked in a date input (which posts ISO dates).
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def bound_data(request):
    """(data, files) for a form: bound on POST even when the POST is empty, unbound otherwise.

    `request.POST or None` would leave an empty submission unbound, and so without its error messages.
    """
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None
