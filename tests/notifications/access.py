"""The notifications part of the access matrix: everyone has an inbox, and it is nobody else's."""

from tests import factories


def _own_notification(w, which):
    """A notification of the KAM: its owner opens it; everyone else is told it does not exist."""
    from kam.notifications.services import notify

    return notify([w.users.kam], f"Matrix {next(factories._numbers)}", url="/")[0]


def pages():
    from tests.test_access_matrix import ALL, ROLES

    return {
        "notifications:inbox": ("get", None, ALL, None),
        "notifications:open": (
            "post",
            lambda w, which: {"pk": _own_notification(w, which).pk},
            {**dict.fromkeys(ROLES, 404), "kam": 302},
            None,
        ),
        "notifications:read_all": ("post", None, dict.fromkeys(ROLES, 302), None),
    }


def api():
    from tests.test_access_matrix import ALL, ROLES

    return {
        ("GET", "/api/v1/notifications"): (ALL, None),
        ("POST", "/api/v1/notifications/{notification_id}/read"): ({**dict.fromkeys(ROLES, 404), "kam": 200}, None),
        ("POST", "/api/v1/notifications/read-all"): (ALL, None),
    }


def call(client, method, path, url, world, which, account, headers):
    if "{notification_id}" in url:
        url = url.replace("{notification_id}", str(_own_notification(world, which).pk))
    if method == "GET":
        return client.get(url, **headers)
    return client.post(url, {}, content_type="application/json", **headers)
