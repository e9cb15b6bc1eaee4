import django_filters
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django_filters.widgets import BooleanWidget

from kam.accounts.choices import AccountStatus, ImportKind, ImportStatus
from kam.accounts.models import Account, FxRate, ImportRun


class YesNoAnyWidget(BooleanWidget):
    """`?flag=true|false` in the URL and the API; "Any" (not django-filter's "Unknown") in the form."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", "Any"), ("true", "Yes"), ("false", "No")]


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with a free-text `q` over `search_fields`; shared by the list pages and the API."""

    search_fields = ()
    q = django_filters.CharFilter(method="search", label="Search")

    def search(self, queryset, name, value):
        value = value.strip()[:200]
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


def order_for_search(field: str, descending: bool = False):
    """ORDER BY `field` for searched lists: the same order, written as an expression that no index answers. A search
    matches names that sort together ("Vegaline …"); ordered by the indexed column, the database walks that index
    from "A" until it has a page of matches — most of the table (0.5 s at 200,000 accounts) — instead of fetching
    the matches through the search indexes and sorting them (15 ms). A search matching most accounts pays instead
    (0.3 s at 200,000); searches for a name are narrow. docs/performance.md"""
    expression = Concat(F(field), Value(""))
    return expression.desc() if descending else expression.asc()


class AccountFilterSet(SearchFilterSet):
    search_fields = ("name", "legal_name", "account_number", "crm_id")

    def search(self, queryset, name, value):
        found = super().search(queryset, name, value)
        return found.order_by(order_for_search("name"), "account_number") if value.strip() else found

    status = django_filters.ChoiceFilter(choices=AccountStatus.choices, empty_label="Any status")
    is_key_account = django_filters.BooleanFilter(label="Key account", widget=YesNoAnyWidget)
    top_level = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", label="Top-level", widget=YesNoAnyWidget
    )
    country = django_filters.CharFilter(lookup_expr="iexact", max_length=2)
    region = django_filters.CharFilter(lookup_expr="iexact", max_length=50)
    industry = django_filters.CharFilter(lookup_expr="icontains", max_length=100)
    currency = django_filters.CharFilter(lookup_expr="iexact", max_length=3)

    class Meta:
        model = Account
        fields = ["q", "status", "is_key_account", "top_level", "industry", "country", "region", "currency"]


class FxRateFilterSet(SearchFilterSet):
    search_fields = ("currency",)
    currency = django_filters.CharFilter(lookup_expr="iexact", max_length=3)
    year = django_filters.NumberFilter(field_name="month__year", label="Year", min_value=1900, max_value=2999)

    class Meta:
        model = FxRate
        fields = ["q", "currency", "year"]


class ImportRunFilterSet(SearchFilterSet):
    search_fields = ("original_name",)
    kind = django_filters.ChoiceFilter(choices=ImportKind.choices, empty_label="Any kind")
    status = django_filters.ChoiceFilter(choices=ImportStatus.choices, empty_label="Any status")

    class Meta:
        model = ImportRun
        fields = ["q", "kind", "status"]
