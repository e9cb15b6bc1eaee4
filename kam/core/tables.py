"""The base of every list table."""

import django_tables2 as tables


class KamTable(tables.Table):
    """A table that keeps the request (tables may order by it, e.g. search relevance) but leaves sorting and
    pagination to the list view. Given a request, django-tables2 configures itself at once, and its default
    Paginator counts every row exactly — the count the view's CappedCountPaginator exists to avoid — and takes
    `per_page` from the query string unchecked."""

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)
