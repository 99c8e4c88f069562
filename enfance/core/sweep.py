"""The jobs `manage.py sweep` runs every minute (cron, a systemd timer, or the loop of `make run`).

Each app registers its jobs from its AppConfig.ready():

    @sweep.register("outbox")
    def retry_outbox():
        return number_of_rows_handled

A job is a function without arguments returning a count; it must be safe to run twice at once
(two overlapping sweeps) and safe to skip (the next minute catches up).
"""

JOBS = {}


def register(name):
    def decorator(function):
        if JOBS.get(name, function) is not function:
            raise ValueError(f"sweep job {name!r} is already registered")
        JOBS[name] = function
        return function

    return decorator


def run(names=None):
    """Run the jobs (all, or those named) in registration order; yield (name, count or exception)."""
    for name, function in list(JOBS.items()):
        if names and name not in names:
            continue
        try:
            yield name, function()
        except Exception as exc:  # noqa: BLE001 - one broken job must not stop the others
            yield name, exc
