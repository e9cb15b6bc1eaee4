"""Small builders for test data. They call the same services as the product, so test data is audited and
the tree paths are right."""

import datetime as dt
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model

from kam.accounts import services
from kam.accounts.choices import TeamRole
from kam.accounts.models import FinancialFact, FxRate, WalletEstimate
from kam.core.roles import Role

PASSWORD = "correct-horse-battery-9"
_numbers = itertools.count(1)


def make_user(role=Role.VIEWER, email=None, **extra):
    email = email or f"{role}-{next(_numbers)}@example.com"
    return get_user_model().objects.create_user(email, PASSWORD, role=role, **extra)


def make_account(name=None, parent=None, currency="EUR", **extra):
    n = next(_numbers)
    return services.create_account(
        name=name or f"Account {n}",
        account_number=extra.pop("account_number", f"T-{n:05d}"),
        parent=parent,
        currency=currency,
        **extra,
    )


def add_member(account, user, team_role=TeamRole.KEY_ACCOUNT_MANAGER):
    return services.add_team_member(account, user, team_role)


def month(text):
    year, m = text.split("-")
    return dt.date(int(year), int(m), 1)


def fact(account, month_text, revenue, gross_profit, currency="EUR", product_line=""):
    return FinancialFact.objects.create(
        account=account,
        month=month(month_text),
        currency=currency,
        product_line=product_line,
        revenue=Decimal(str(revenue)),
        gross_profit=Decimal(str(gross_profit)),
    )


def rate(month_text, currency, rate_per_eur):
    return FxRate.objects.create(month=month(month_text), currency=currency, rate_per_eur=Decimal(str(rate_per_eur)))


def wallet(account, year, amount, currency="EUR"):
    return WalletEstimate.objects.create(account=account, year=year, currency=currency, amount=Decimal(str(amount)))
