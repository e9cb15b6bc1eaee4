"""kam/templates/django_tables2/table.html overrides the library's template for speed: it must write the same markup."""

import re
from pathlib import Path

import django_tables2
import pytest
from django.template import engines
from django.test import RequestFactory
from django_tables2 import RequestConfig

from kam.accounts.models import Account
from kam.accounts.tables import AccountTable
from tests import factories

LIBRARY = Path(django_tables2.__file__).parent / "templates" / "django_tables2" / "table.html"
OURS = Path(__file__).resolve().parent.parent / "kam" / "templates" / "django_tables2" / "table.html"


class NumberTable(AccountTable):
    class Meta(AccountTable.Meta):
        attrs = {"class": "table", "td": {"class": "num"}}


def render(path, table_class, request):
    table = table_class(Account.objects.select_related("parent", "owner"), request=request)
    RequestConfig(request, paginate={"per_page": 2}).configure(table)
    html = engines["django"].from_string(path.read_text()).render({"table": table, "request": request}, request)
    return re.sub(r"\s+", " ", html.replace("<td >", "<td>"))


@pytest.mark.parametrize("table_class", [AccountTable, NumberTable], ids=["plain-cells", "cells-with-attributes"])
def test_the_faster_table_template_writes_the_librarys_markup(users, table_class):
    parent = factories.make_account("Acme Group", owner=users.kam)
    for name in ("Acme Iberia", "Acme Nordics", "Acme Texas"):
        factories.make_account(name, parent=parent)
    request = RequestFactory().get("/accounts/", {"sort": "-name"})
    request.user = users.admin

    ours, library = render(OURS, table_class, request), render(LIBRARY, table_class, request)

    assert ours == library
    assert ('<td class="num">' in ours) == (table_class is NumberTable) and "page=2" in ours
