"""One DRF permission class for every API view: HTTP method → `rules` perm.

A view declares `rules_perms = {"GET": "places.view_place", "POST": ...}`
(methods the view handles but leaves out are refused) and may define `get_permission_object()` for
the object a non-object request is checked against (default: None). Object
requests (detail views) are checked again against the object itself.

Refusals return False rather than raising, so DRF answers 401 to anonymous
callers and 403 to signed-in ones.
"""

from django.contrib.auth.models import AnonymousUser
from rest_framework import permissions

from .schema import ErrorsAutoSchema


class RulesPermission(permissions.BasePermission):
    def perm_for(self, request, view):
        perms = getattr(view, "rules_perms", None) or {}
        method = request.method.upper()
        if method == "HEAD" and "HEAD" not in perms:
            method = "GET"
        if method == "OPTIONS" and "OPTIONS" not in perms:
            method = "GET"
        return perms.get(method)

    def has_permission(self, request, view):
        if not hasattr(view, request.method.lower()):
            return True  # DRF answers 405 Method Not Allowed
        perm = self.perm_for(request, view)
        if perm is None:
            return False
        get_object = getattr(view, "get_permission_object", None)
        obj = get_object() if callable(get_object) else None
        return request.user.has_perm(perm, obj)

    def has_object_permission(self, request, view, obj):
        perm = self.perm_for(request, view)
        return perm is not None and request.user.has_perm(perm, obj)


class RulesAutoSchema(ErrorsAutoSchema):
    """Marks an operation as open to anonymous callers in the OpenAPI schema
    when its `rules` perm lets an anonymous user through (set `schema =
    RulesAutoSchema()` on a view that uses RulesPermission)."""

    def get_auth(self):
        auths = super().get_auth()
        perm = (getattr(self.view, "rules_perms", None) or {}).get(self.method.upper())
        if perm and {} not in auths and AnonymousUser().has_perm(perm):
            auths.append({})
        return auths
