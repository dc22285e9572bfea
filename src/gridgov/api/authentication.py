"""Token authentication that reads the caller's scope in the same query.

Every API call needs both who the caller is (the token's user) and where they
may act (people.scope: their active role assignments). DRF's token check and
the scope lookup were two ORM queries on every request; this is one plain
query whose rows are the user joined with each active assignment. It brings along
the reference data's version tokens (core.versions.remember), which most API requests
(every intake) would read next in a query of their own.
"""

from functools import lru_cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from gridgov.core import versions
from gridgov.people.models import RoleAssignment
from gridgov.people.scope import remember_scope, scope_from_assignments
from gridgov.places.models import Place


@lru_cache(maxsize=4)
def _sql(vendor):
    user = get_user_model()
    columns = [f.column for f in user._meta.concrete_fields]
    names = [f.attname for f in user._meta.concrete_fields]
    pk = connection.ops.quote_name(user._meta.pk.column)
    tokens = versions.tokens_sql(vendor)
    sql = (
        f"SELECT {', '.join(f'u.{connection.ops.quote_name(c)}' for c in columns)}, "
        f"ra.role, p.path, ra.department_id{f', {tokens}' if tokens else ''} "
        f"FROM {Token._meta.db_table} t "
        f"JOIN {user._meta.db_table} u ON u.{pk} = t.user_id "
        f"LEFT JOIN {RoleAssignment._meta.db_table} ra ON ra.user_id = u.{pk} AND ra.active = %s "
        f"LEFT JOIN {Place._meta.db_table} p ON p.id = ra.place_id "
        "WHERE t.key = %s"
    )
    return sql, names, tokens is not None


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's, with the scope remembered on the user."""

    def authenticate_credentials(self, key):
        sql, names, with_tokens = _sql(connection.vendor)
        with connection.cursor() as cursor:
            cursor.execute(sql, [True, key])
            rows = cursor.fetchall()
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        width = len(names)
        user = get_user_model().from_db(connection.alias, names, list(rows[0][:width]))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if with_tokens:
            versions.remember(rows[0][-1])
        remember_scope(user, scope_from_assignments(row[width : width + 3] for row in rows))
        token = Token.from_db(connection.alias, ["key", "user_id"], [key, user.pk])
        token.user = user
        return user, token
