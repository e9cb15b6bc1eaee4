from django.tasks import task


@task()
def run_selection(run_id: int):
    """Compute one selection run (kam.selection.engine). Idempotent: a finished run is not computed again."""
    from kam.selection.services import execute_run

    execute_run(run_id)
