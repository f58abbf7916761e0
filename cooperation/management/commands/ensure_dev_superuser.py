import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

PASSWORD_FILE = settings.VAR_DIR / "admin-password.txt"


class Command(BaseCommand):
    help = (
        "In development, create an 'admin' superuser with a random password when no superuser "
        "exists, and save the password to var/admin-password.txt. Does nothing in production."
    )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            self.stdout.write("Production: no account is created; use createsuperuser.")
            return
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            if PASSWORD_FILE.exists():
                self.stdout.write(
                    f"Admin sign-in: see {PASSWORD_FILE.relative_to(settings.BASE_DIR)}"
                )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "", password)
        PASSWORD_FILE.parent.mkdir(exist_ok=True)
        PASSWORD_FILE.write_text(f"user: admin\npassword: {password}\n")
        PASSWORD_FILE.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the superuser 'admin' with password {password} "
                f"(saved in {PASSWORD_FILE.relative_to(settings.BASE_DIR)})."
            )
        )
