"""Staff pages for Open311: issue a key (shown once), list keys, revoke, see a key's calls.

Street and district staff only (rules.py); a key outside the user's area is a 404.
The request log shows what each call asked for and how it was answered,
never who the requester was.
"""

import datetime as dt
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import keys
from .forms import IssueKeyForm
from .models import ApiKey

LOG_PER_PAGE = 50


def site_language(view):
    """Chinese unless the user picked a language with the switcher, like every other page.

    These pages live under /open311/, where API clients negotiate the language with
    Accept-Language; a staff member's browser header must not switch the page.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or settings.LANGUAGE_CODE
        try:
            language = translation.get_supported_language_variant(chosen)
        except LookupError:
            language = settings.LANGUAGE_CODE
        with translation.override(language):
            request.LANGUAGE_CODE = language
            return view(request, *args, **kwargs)

    return wrapped


def _require_staff(user):
    if not user.has_perm("open311.manage_keys"):
        raise PermissionDenied


def _visible_keys(user):
    queryset = ApiKey.objects.select_related("jurisdiction__place", "created_by", "revoked_by")
    return [k for k in queryset if user.has_perm("open311.manage_key", k)]


@site_language
@login_required
@require_http_methods(["GET", "POST"])
def key_list(request):
    _require_staff(request.user)
    form = IssueKeyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        candidate = form.save(commit=False)
        if not request.user.has_perm("open311.manage_key", candidate):
            raise PermissionDenied
        key, raw = keys.issue_key(
            **{f: form.cleaned_data[f] for f in form.Meta.fields}, created_by=request.user
        )
        endpoint = request.build_absolute_uri(reverse("open311:requests", kwargs={"fmt": "json"}))
        response = render(
            request, "open311/key_issued.html", {"key": key, "raw": raw, "endpoint": endpoint}
        )
        add_never_cache_headers(response)  # the key is on this page, once
        return response
    visible = _visible_keys(request.user)
    since = timezone.now() - dt.timedelta(days=1)
    counts = dict(
        ApiKey.objects.filter(pk__in=[k.pk for k in visible])
        .annotate(n=Count("log", filter=Q(log__at__gte=since)))
        .values_list("pk", "n")
    )
    for key in visible:
        key.calls_today = counts.get(key.pk, 0)
    return render(request, "open311/keys.html", {"keys": visible, "form": form})


def _key(request, pk):
    _require_staff(request.user)
    key = get_object_or_404(
        ApiKey.objects.select_related("jurisdiction__place", "created_by", "revoked_by"), pk=pk
    )
    if not request.user.has_perm("open311.manage_key", key):
        raise Http404
    return key


@site_language
@login_required
def key_detail(request, pk):
    key = _key(request, pk)
    log = key.log.select_related("ticket").order_by("-at", "-id")
    page = Paginator(log, LOG_PER_PAGE).get_page(request.GET.get("page"))
    since = timezone.now() - dt.timedelta(days=1)
    stats = key.log.filter(at__gte=since).aggregate(
        total=Count("id"),
        errors=Count("id", filter=Q(status__gte=400)),
        limited=Count("id", filter=Q(status=429)),
    )
    created = key.submissions.count()
    return render(
        request,
        "open311/key_detail.html",
        {"key": key, "page": page, "stats": stats, "created": created},
    )


@site_language
@login_required
@require_POST
def key_revoke(request, pk):
    key = _key(request, pk)
    if key.active:
        keys.revoke(key, request.user)
        messages.success(request, _("Key %(name)s revoked.") % {"name": key.name})
    return redirect("open311:key", pk=key.pk)
