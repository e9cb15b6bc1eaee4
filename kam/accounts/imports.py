"""Services around an import run: upload, dry run, apply — inline for small files, as a job for large ones."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from kam.accounts.choices import ImportStatus
from kam.accounts.importers import run_import
from kam.accounts.models import ImportRun
from kam.core.context import acting_as
from kam.core.jobs import enqueue_on_commit

logger = logging.getLogger("kam.imports")
# Files above this size are checked and applied by the worker, with a progress bar on the page.
BACKGROUND_BYTES = 512 * 1024


def start_import(user, kind: str, filename: str, data: bytes, *, background: bool | None = None) -> ImportRun:
    if len(data) > settings.KAM_IMPORT_MAX_BYTES:
        raise ValidationError(
            {
                "file": f"The file is {len(data) / 1_048_576:.1f} MB; the limit is "
                f"{settings.KAM_IMPORT_MAX_BYTES / 1_048_576:.0f} MB. Split it into smaller files."
            }
        )
    run = ImportRun(kind=kind, original_name=filename[:255], size_bytes=len(data), created_by=user)
    run.file.save(filename[-100:] or "upload", ContentFile(data), save=False)
    run.save()
    background = len(data) > BACKGROUND_BYTES if background is None else background
    if background:
        from kam.accounts.tasks import process_import

        enqueue_on_commit(process_import, run.pk, False)
    else:
        execute_import(run.pk, apply=False)
        run.refresh_from_db()
    return run


def apply_import(run: ImportRun, *, background: bool | None = None) -> ImportRun:
    if run.status != ImportStatus.PREVIEW:
        raise ValidationError("Only a checked file without errors can be applied.")
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.APPLYING, rows_done=0)
    background = run.size_bytes > BACKGROUND_BYTES if background is None else background
    if background:
        from kam.accounts.tasks import process_import

        enqueue_on_commit(process_import, run.pk, True)
    else:
        execute_import(run.pk, apply=True)
    run.refresh_from_db()
    return run


def remap_import(run: ImportRun, mapping: dict) -> ImportRun:
    """Check the file again with columns chosen by hand ({our field: the file's header})."""
    if run.status not in (ImportStatus.INVALID, ImportStatus.PREVIEW):
        raise ValidationError("Columns can be mapped before the file is applied only.")
    ImportRun.objects.filter(pk=run.pk).update(column_mapping=mapping, status=ImportStatus.QUEUED, rows_done=0)
    if run.size_bytes > BACKGROUND_BYTES:
        from kam.accounts.tasks import process_import

        enqueue_on_commit(process_import, run.pk, False)
    else:
        execute_import(run.pk, apply=False)
    run.refresh_from_db()
    return run


def execute_import(run_id: int, *, apply: bool):
    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if apply and run.status == ImportStatus.APPLIED:
        return  # a recovered job must not apply twice
    if not apply:
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.VALIDATING)

    def progress(done, total):
        values = {"rows_done": done}
        if total:
            values["rows_total"] = total
        ImportRun.objects.filter(pk=run.pk).update(**values)

    # The stored file is read as a stream (never whole into memory): a 1 GB facts file keeps the worker's memory flat.
    with acting_as(run.created_by, source="import"), run.file.open("rb") as stream:
        try:
            report = run_import(
                run.kind,
                stream,
                run.original_name,
                apply=apply,
                progress=progress,
                mapping_override=run.column_mapping or None,
            )
        except Exception:
            logger.exception("Import %s failed", run.pk)
            ImportRun.objects.filter(pk=run.pk).update(
                status=ImportStatus.FAILED,
                finished_at=timezone.now(),
                errors=[
                    {
                        "row": "",
                        "column": "",
                        "reason": "An unexpected error stopped the import; nothing was "
                        "written. The administrators can find the details in the log.",
                    }
                ],
            )
            return
    if report.ok:
        status = ImportStatus.APPLIED if apply else ImportStatus.PREVIEW
    else:
        status = ImportStatus.INVALID
    ImportRun.objects.filter(pk=run.pk).update(
        status=status,
        rows_total=report.rows_total,
        rows_done=report.rows_total,
        errors=report.errors,
        preview=report.preview,
        finished_at=timezone.now() if apply or not report.ok else None,
        summary={
            **report.summary(),
            "mapping": report.mapping,
            "ignored_columns": report.ignored_columns,
            "headers": report.headers,
        },
    )
