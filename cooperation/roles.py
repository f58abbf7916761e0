"""The editorial roles. Editors write and submit for review; publishers also publish, withdraw,
delete and restore. Both are Django groups, kept by ``ensure_roles`` after every migrate."""

EDITOR = "Editor"
PUBLISHER = "Publisher"

ROLE_ACTIONS = {
    EDITOR: ("view", "add", "change"),
    PUBLISHER: ("view", "add", "change", "delete", "publish"),
}

#: Role names as given on the command line.
ROLES = {"editor": EDITOR, "publisher": PUBLISHER}


def role_permissions(role):
    """Codenames of the cooperation permissions that ``role`` holds: its actions on every
    public type."""
    from .models import PUBLIC_MODELS  # at call time: migrations import this module

    return [
        f"{action}_{model._meta.model_name}"
        for action in ROLE_ACTIONS[role]
        for model in PUBLIC_MODELS
    ]


def ensure_roles(**kwargs):
    """Create the role groups and give them their permissions, after every migrate (and
    flush, which empties the groups table): a new model's permissions join the roles too."""
    from django.contrib.auth.models import Group, Permission

    for role in ROLE_ACTIONS:
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="cooperation", codename__in=role_permissions(role)
            )
        )
