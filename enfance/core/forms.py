def bound_data(request):
    """(data, files) for a form: bound on POST even when the POST is empty, unbound otherwise.

    `request.POST or None` would leave an empty submission unbound, and so without its error messages.
    """
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None
