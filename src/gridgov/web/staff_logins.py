"""工作人员账号 (/people/staff/): the logins of the staff of one's area, for the street's
and community's administrators — who has yet to change an initial password (初始密码未修改),
and 重置密码 for a forgotten one (people.passwords.reset; who may: people.reset_password)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridgov.people import passwords
from gridgov.people.personal_data import client_ip
from gridgov.people.rules import may_reset_password_of
from gridgov.people.visibility import administered_logins

LOGINS_PER_PAGE = 25


def _administrator(user):
    if not user.has_perm("people.reset_password"):
        raise PermissionDenied(_("Only the administrators of an area see its staff logins."))


@login_required
@require_GET
def staff_logins(request):
    _administrator(request.user)
    initial_only = request.GET.get("initial") == "1"
    query = request.GET.get("q", "").strip()
    logins = administered_logins(request.user, query=query, initial_only=initial_only)
    page = Paginator(logins, LOGINS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(login, may_reset_password_of(request.user, login)) for login in page]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "web/people/staff_logins.html",
        {
            "page": page,
            "rows": rows,
            "query": query,
            "initial_only": initial_only,
            "params": params.urlencode(),
        },
    )


@login_required
@require_POST
def reset_password(request, pk):
    _administrator(request.user)
    login = get_object_or_404(get_user_model().objects.select_related("person"), pk=pk)
    if not may_reset_password_of(request.user, login):
        raise PermissionDenied(
            _(
                "You may reset the passwords of the staff below you in your own area only. A "
                "colleague's at your level or above, one who also works elsewhere, or an "
                "administrator's is reset by the system administrator."
            )
        )
    password = passwords.reset(login, request.user, ip=client_ip(request))
    response = render(
        request, "web/people/password_reset.html", {"login": login, "password": password}
    )
    add_never_cache_headers(response)  # it holds the new password
    return response
