from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onestop.core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and name the first broken link. Exit status 1 if broken."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"audit chain intact: {report.checked} events verified / 审计链完整"))
            return
        raise CommandError(
            f"audit chain broken at event #{report.broken_seq}: {report.reason} "
            f"({report.checked} events verified before it)"
        )
