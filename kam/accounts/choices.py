from django.db import models


class AccountStatus(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    CUSTOMER = "customer", "Customer"
    FORMER_CUSTOMER = "former_customer", "Former customer"


class TeamRole(models.TextChoices):
    KEY_ACCOUNT_MANAGER = "key_account_manager", "Key account manager"
    TEAM_LEADER = "team_leader", "Team leader"
    EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"
    SUPPORT = "support", "Support"


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts (Salesforce / HubSpot export)"
    FACTS = "facts", "Financial facts (facts.csv)"
    WALLET = "wallet", "Wallet estimates (wallet.csv)"
    FX = "fx", "FX rates (fx.csv)"
    REQUESTS = "requests", "Client requests (requests.csv)"
    GOALS = "goals", "Strategic goals (goals.csv)"
    CONTACTS = "contacts", "Contacts (Salesforce / HubSpot export)"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    VALIDATING = "validating", "Checking the file"
    PREVIEW = "preview", "Ready to apply"
    INVALID = "invalid", "Has errors — nothing written"
    APPLYING = "applying", "Applying"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed — nothing written"
