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


def choices_once(field):
    """A select of database rows in one query: the widget goes through its choices twice (once to decide on
    the `required` attribute), and a queryset's choices run their query each time. Validation still checks
    the posted value against the field's queryset."""
    field.widget.choices = list(iter(field.choices))  # iter: list() would first count the rows (len)
