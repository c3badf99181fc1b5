"""argon2id with the template's parameters (argon2 crate's defaults, OWASP's first choice)."""
from django.contrib.auth.hashers import Argon2PasswordHasher


class TemplateArgon2(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
