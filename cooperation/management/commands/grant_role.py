import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from cooperation.roles import ROLES

#: How the roles read in a sentence.
ROLE_NAMES = {"editor": "an editor", "publisher": "a publisher"}


class Command(BaseCommand):
    help = (
        "Give a user an editorial role: 'editor' (write, submit for review) or 'publisher' "
        "(also publish, withdraw, delete and restore). The user can then sign in to the admin. "
        "With --create, make the user first, with a password that is printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=sorted(ROLES))
        parser.add_argument(
            "--remove", action="store_true", help="Take the role away instead of giving it."
        )
        parser.add_argument(
            "--create",
            action="store_true",
            help="Create the user if there is none of that name, and print its password.",
        )
        parser.add_argument("--email", default="", help="The new user's email (with --create).")

    def handle(self, username, role, remove=False, create=False, email="", **options):
        users = get_user_model()
        try:
            user = users.objects.get_by_natural_key(username)
        except users.DoesNotExist:
            if not create or remove:
                raise CommandError(
                    f"No user named {username!r}. Add --create to create one with this role."
                ) from None
            password = secrets.token_urlsafe(12)
            user = users.objects.create_user(username, email=email, password=password)
            self.stdout.write(f"Created the user {username} with the password: {password}")
        group = Group.objects.get(name=ROLES[role])
        if remove:
            user.groups.remove(group)
            self.stdout.write(f"{username} is no longer {ROLE_NAMES[role]}.")
            return
        user.groups.add(group)
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        self.stdout.write(self.style.SUCCESS(f"{username} is now {ROLE_NAMES[role]}."))
