from decimal import Decimal

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def money(value, currency="EUR"):
    """1234567.8 -> '1,234,567.80 EUR'; None -> an em dash (no value is not zero)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f} {currency}".strip()


@register.filter
def percent(value, places=1):
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.{int(places)}f} %"


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs):
    """The current query string with some parameters replaced (for tabs and paging)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return "?" + query.urlencode()


@register.simple_tag
def status_badge(text, kind=""):
    return format_html('<span class="badge {}">{}</span>', kind or str(text).lower().replace(" ", "-"), text)
