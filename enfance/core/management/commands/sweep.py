import logging

from django.core.management.base import BaseCommand, CommandError

from enfance.core import sweep

logger = logging.getLogger("enfance.sweep")


class Command(BaseCommand):
    help = "Run the periodic jobs once (every minute from cron, a systemd timer, or make run)."

    def add_arguments(self, parser):
        parser.add_argument("jobs", nargs="*", help="only these jobs (default: all)")

    def handle(self, *args, jobs, **options):
        unknown = set(jobs) - set(sweep.JOBS)
        if unknown:
            raise CommandError(f"unknown job(s): {', '.join(sorted(unknown))}; known: {', '.join(sweep.JOBS)}")
        failed = []
        for name, result in sweep.run(jobs):
            if isinstance(result, Exception):
                logger.error("sweep job %s failed", name, exc_info=result)
                self.stderr.write(f"{name}: ERROR {type(result).__name__}: {result}")
                failed.append(name)
            else:
                self.stdout.write(f"{name}: {result}")
        if failed:
            raise CommandError(f"failed job(s): {', '.join(failed)}")
