"""Pagination that does not count a whole large table on every page view.

An exact ``COUNT(*)`` over 200,000 accounts costs PostgreSQL 11–13 ms of CPU on every unfiltered list view — a
third of the page's time (docs/performance.md). Nobody pages through 8,000 pages, so lists count at most
``count_cap + 1`` rows (``SELECT COUNT(*) FROM (… LIMIT 10001)``, cheap whatever the table's size) and say
"more than 10,000". A request for the capped count's last page or beyond it (the pager's "last" link, or a typed
page number) counts exactly, so no page is out of reach and the pager then shows the true last page. Exports are
not paginated and always hold every row.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    count_cap = COUNT_CAP

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_is_exact = True

    def _queryset(self):
        # django-tables2 paginates its BoundRows, which wrap TableQuerysetData, which wraps the (ordered) queryset.
        object_list = self.object_list
        for _ in range(2):
            if hasattr(object_list, "query"):
                return object_list
            object_list = getattr(object_list, "data", None)
        return object_list if hasattr(object_list, "query") else None

    @cached_property
    def count(self):
        queryset = self._queryset()
        if queryset is None:  # a list: len() is exact and cheap
            return len(self.object_list)
        # Without its ORDER BY: a count needs no order, and sorting every match before the LIMIT is what costs.
        counted = queryset.order_by()[: self.count_cap + 1].count()
        if counted > self.count_cap:
            self.count_is_exact = False
        return counted

    def _count_exactly(self):
        self.__dict__["count"] = self._queryset().count()
        self.__dict__.pop("num_pages", None)
        self.count_is_exact = True

    def validate_number(self, number):
        # A page at or past the capped count's pages: the true count decides whether it exists.
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            return super().validate_number(number)
        self.count  # noqa: B018 — counting (capped) tells whether the count is exact
        # The capped count's last page holds the row past the cap: whether there is a next page is unknown there.
        if not self.count_is_exact and wanted >= self.num_pages:
            self._count_exactly()
        return super().validate_number(number)
