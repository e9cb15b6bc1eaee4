"""`make bench`: KAM's speed on a large tenant, measured against the framework's own ceiling in one run.

- `bench.run`       the orchestrator: databases, `kam generate`, servers (granian, as in production), workers, the table
- `bench.harness`   load generators (wrk, a Python one, in-process), statistics, result rows, targets, the table
- `bench.django_side` what runs inside Django: targets and credentials, query counts, import runs, raw COPY

docs/performance.md explains how to run it and what each figure means.
"""
