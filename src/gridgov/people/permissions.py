"""DRF glue for the `rules` permissions in rules.py.

Objects are checked against the permission the viewset maps the action to.
Lists need no check (their queryset is already narrowed by scope), and a new
or changed object is checked as it would be saved, before it is saved, so a
write outside scope is refused and writes nothing.
"""

from django.db import transaction
from rest_framework import permissions

from gridgov.api.errors import ApiError

DEFAULT_ACTIONS = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


def perm_for(view, action):
    """The rules permission for a viewset action: `rules_permissions` or app.verb_model."""
    explicit = getattr(view, "rules_permissions", {})
    if action in explicit:
        return explicit[action]
    verb = DEFAULT_ACTIONS.get(action, "view")
    model = view.queryset.model
    name = getattr(view, "rules_model_name", model._meta.model_name)
    return f"{model._meta.app_label}.{verb}_{name}"


def refused(
    message_zh="无权执行此操作或超出辖区范围", message_en="Not allowed, or outside your area"
):
    return ApiError(403, "permission_denied", message_zh, message_en)


class RulesPermission(permissions.IsAuthenticated):
    """Authenticated, and allowed by the rules permission of the action.

    For `create`, the permission is first asked without an object ("may this
    user add such things anywhere?"), then on the unsaved object by
    RulesWriteMixin.
    """

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if view.action == "create":
            return request.user.has_perm(perm_for(view, "create"))
        return True

    def has_object_permission(self, request, view, obj):
        return request.user.has_perm(perm_for(view, view.action), obj)


class RulesWriteMixin:
    """Check add/change on the object as it would be saved; save only if allowed.

    Serializers based on CleanModelSerializer leave that object in `candidate`.
    """

    def write_refused(self):
        return refused()

    def check_candidate(self, serializer, action):
        candidate = getattr(serializer, "candidate", None)
        if candidate is None or not self.request.user.has_perm(perm_for(self, action), candidate):
            raise self.write_refused()

    def perform_create(self, serializer):
        self.check_candidate(serializer, "create")
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer):
        self.check_candidate(serializer, "update")
        with transaction.atomic():
            serializer.save()
