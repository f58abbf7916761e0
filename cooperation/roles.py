"""The editorial roles. Editors write and submit for review; publishers also publish, withdraw,
delete and restore. Both are Django groups, created by a migration."""

EDITOR = "Editor"
PUBLISHER = "Publisher"

MODELS = ("era", "party", "threat", "agreement", "initiative", "event", "section", "source")

ROLE_ACTIONS = {
    EDITOR: ("view", "add", "change"),
    PUBLISHER: ("view", "add", "change", "delete", "publish"),
}

#: Role names as given on the command line.
ROLES = {"editor": EDITOR, "publisher": PUBLISHER}


def role_permissions(role):
    """Codenames of the cooperation permissions that ``role`` holds."""
    return [f"{action}_{model}" for action in ROLE_ACTIONS[role] for model in MODELS]
