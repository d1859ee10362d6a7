"""Django's model backend, loading the signed-in user's facility and region with her (one statement)."""

from django.contrib.auth.backends import ModelBackend

from .loading import user_by_pk


class UserBackend(ModelBackend):
    """``get_user`` runs on every request with a session: one fixed statement instead of the user query
    plus a facility query later (``accounts.loading``). Everything else is ``ModelBackend``'s."""

    def get_user(self, user_id):
        user = user_by_pk(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
