from django.contrib.contenttypes.models import ContentType

from kam.audit.models import ObjectChange
from kam.core.context import current_context


def write_change(model, object_id, action, object_repr, *, account_id=None, before=None, after=None) -> ObjectChange:
    """The one place an audit record is written: who and through what come from the current change context."""
    context = current_context()
    return ObjectChange.objects.create(
        actor_id=context.actor_id,
        actor_label=context.actor_label,
        request_id=context.request_id,
        source=context.source,
        action=action,
        content_type=ContentType.objects.get_for_model(model),
        object_id=object_id,
        object_repr=object_repr[:300],
        account_id=account_id,
        before=before,
        after=after,
    )


def record_change(instance, action: str, before: dict | None, after: dict | None) -> ObjectChange:
    return write_change(
        type(instance),
        instance.pk,
        action,
        str(instance),
        account_id=instance.audit_account_id,
        before=before,
        after=after,
    )


def changes_for(instance):
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(type(instance)), object_id=instance.pk
    ).select_related("actor")


def record_account_event(account_id: int, what: str, details: dict) -> ObjectChange:
    """A change too fine-grained to log per row (e.g. thousands of fact rows): one record on the account."""
    from kam.accounts.models import Account

    account_name = Account.objects.filter(pk=account_id).values_list("name", flat=True).first() or str(account_id)
    return write_change(
        Account, account_id, ObjectChange.Action.UPDATE, f"{account_name}: {what}", account_id=account_id, after=details
    )
