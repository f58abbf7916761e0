from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from cooperation.roles import ROLES


class Command(BaseCommand):
    help = (
        "Give a user an editorial role: 'editor' (write, submit for review) or 'publisher' "
        "(also publish, withdraw, delete and restore). The user can then sign in to the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=sorted(ROLES))
        parser.add_argument(
            "--remove", action="store_true", help="Take the role away instead of giving it."
        )

    def handle(self, username, role, remove=False, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(
                f"No user named {username!r}. Create one first with createsuperuser or the admin."
            ) from None
        group = Group.objects.get(name=ROLES[role])
        if remove:
            user.groups.remove(group)
            self.stdout.write(f"{username} is no longer a {role}.")
            return
        user.groups.add(group)
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        self.stdout.write(self.style.SUCCESS(f"{username} is now a {role}."))
