"""The people API under /api/v1/: thin viewsets over scoped querysets.

Every queryset comes from visibility.py, so an object outside the caller's
scope is a 404 (its existence does not leak); an object in scope that the
action's rules permission refuses is a 403; writes are checked on the object
as it would be saved (permissions.RulesWriteMixin).
"""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from gridgov.api.errors import ApiError
from gridgov.api.params import refuse_unknown_parameters
from gridgov.places.models import Place

from . import filters, passwords, serializers, visibility
from .models import (
    AccessLog,
    CheckIn,
    Department,
    Household,
    PartyMember,
    PartyOrganization,
    PasswordReset,
    Person,
    RoleAssignment,
)
from .permissions import RulesPermission, RulesWriteMixin, refused
from .personal_data import PersonalDataDenied, PurposeRequired, client_ip, reveal
from .rules import may_reset_password_of
from .scope import PERSONAL_DATA_ROLES, STAFF_ROLES, scope_for


class ScopedViewSet(RulesWriteMixin, viewsets.GenericViewSet):
    """Base of every people viewset; list it first, so its write checks come
    before the plain `perform_create`/`perform_update` of DRF's mixins."""

    permission_classes = [RulesPermission]
    # function(user) -> the queryset the user may see
    visible = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # DRF's plain save would skip the check and write outside scope: fail at import.
        for name in ("perform_create", "perform_update"):
            if getattr(cls, name).__module__ == mixins.__name__:
                raise TypeError(f"{cls.__name__}.{name} bypasses the rules check")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return type(self).visible(self.request.user)


class PersonViewSet(
    ScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """People in the caller's scope; names, phones and ID numbers masked."""

    queryset = Person.objects.all()
    visible = staticmethod(visibility.visible_people)
    serializer_class = serializers.PersonSerializer
    filterset_class = filters.PersonFilter
    # Seeing the person is checked by the permission class; the right to the
    # unmasked data is checked (and logged) by `reveal`.
    rules_permissions = {"personal_data": "people.view_person"}
    # Read by the action itself (api.params.KnownParamsFilterBackend refuses the rest).
    action_params = {"personal_data": ("purpose",)}

    @extend_schema(
        summary="Unmasked personal data (logged)",
        description=(
            "Returns the person's full name, phone and ID number. Needs "
            "`people.view_personal_data`; every call writes an access log row with its "
            "`purpose`, which is required (400 `purpose_required` when blank; nothing is "
            "revealed or logged then)."
        ),
        parameters=[
            OpenApiParameter(
                "purpose", OpenApiTypes.STR, required=True, description="Why the data is needed"
            )
        ],
        responses=serializers.PersonalDataSerializer,
    )
    @action(detail=True, methods=["get"], url_path="personal-data", filterset_class=None)
    def personal_data(self, request, pk=None):
        person = self.get_object()
        try:
            values = reveal(
                request.user,
                person,
                channel="api",
                request=request,
                purpose=request.query_params.get("purpose", ""),
            )
        except PersonalDataDenied:
            raise refused(
                "无权查看完整个人信息（仅限有权角色且在辖区内）",
                "Not allowed to view full personal data (only entitled roles, within their area)",
            ) from None
        except PurposeRequired:
            raise ApiError(
                400,
                "purpose_required",
                "请填写查看事由（purpose，如“入户走访”）：每次查看完整个人信息都连同事由记入查看记录",
                "Give a purpose (e.g. purpose=door-to-door visit): every full view of personal "
                "data is logged with why it was needed",
            ) from None
        response = Response({"id": person.pk, **values})
        # Unmasked data must not linger in shared caches.
        response["Cache-Control"] = "no-store"
        return response


class HouseholdViewSet(
    ScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Households in the caller's scope, with the members the caller may see."""

    queryset = Household.objects.all()
    serializer_class = serializers.HouseholdSerializer
    filterset_class = filters.HouseholdFilter

    @staticmethod
    def visible(user):
        members = visibility.visible_people(user).order_by("id")
        return visibility.visible_households(user).prefetch_related(
            Prefetch("members", queryset=members, to_attr="visible_members")
        )


class DepartmentViewSet(
    ScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
):
    """Departments serving the caller's area; handlers see their own."""

    queryset = Department.objects.all()
    visible = staticmethod(visibility.visible_departments)
    serializer_class = serializers.DepartmentSerializer
    filterset_class = filters.DepartmentFilter


class PartyOrganizationViewSet(
    ScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Party organisations in and above the caller's area."""

    queryset = PartyOrganization.objects.all()
    visible = staticmethod(visibility.visible_party_organizations)
    serializer_class = serializers.PartyOrganizationSerializer
    filterset_class = filters.PartyOrganizationFilter
    rules_model_name = "party_organization"


class PartyMemberViewSet(
    ScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Party members whose branch, home or home community is in the caller's scope."""

    queryset = PartyMember.objects.all()
    visible = staticmethod(visibility.visible_party_members)
    serializer_class = serializers.PartyMemberSerializer
    filterset_class = filters.PartyMemberFilter
    rules_model_name = "party_member"


class CheckInViewSet(
    ScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
):
    """报到: check-ins with a community in, or of people living in, the caller's scope."""

    queryset = CheckIn.objects.all()
    visible = staticmethod(visibility.visible_check_ins)
    serializer_class = serializers.CheckInSerializer
    filterset_class = filters.CheckInFilter
    rules_model_name = "check_in"


class RoleAssignmentViewSet(
    ScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """Role assignments the caller administers, and the caller's own."""

    queryset = RoleAssignment.objects.all()
    visible = staticmethod(visibility.visible_role_assignments)
    serializer_class = serializers.RoleAssignmentSerializer
    filterset_class = filters.RoleAssignmentFilter
    rules_model_name = "role_assignment"

    def write_refused(self):
        return ApiError(
            403,
            "grant_refused",
            "无权授予该角色：只能为他人授予本人辖区下级地点的、不超过本人权限的角色",
            "Not allowed to grant this role: only to others, below your own place, "
            "and no more than you hold yourself",
        )


class AccessLogViewSet(
    ScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
):
    """Who viewed whose personal data, for street and district staff of the area."""

    queryset = AccessLog.objects.all()
    visible = staticmethod(visibility.visible_access_logs)
    serializer_class = serializers.AccessLogSerializer
    filterset_class = filters.AccessLogFilter
    rules_model_name = "access_log"


class AdministersArea(permissions.IsAuthenticated):
    """Community, street and district staff (people.reset_password asked without a login),
    as the page /people/staff/ lets in; anyone else signed in is told why (403)."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if not request.user.has_perm("people.reset_password"):
            raise refused(
                "只有辖区的管理人员（社区、街道、区级工作人员）可以查看工作人员账号。",
                "Only the administrators of an area see its staff logins.",
            )
        return True


INITIAL_PARAMETER = {"": False, "0": False, "false": False, "1": True, "true": True}


@extend_schema(tags=["people"])
class StaffLoginViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """工作人员账号: the logins of the staff of the caller's area and 重置密码, as the page
    /people/staff/ (visibility.administered_logins, passwords.reset). A login outside the
    area is a 404; one in it that the caller may not reset is a 403 with the reason."""

    permission_classes = [AdministersArea]
    serializer_class = serializers.StaffLoginSerializer
    queryset = get_user_model().objects.none()  # per caller: get_queryset
    lookup_field = "username"
    lookup_value_regex = r"[^/]+"  # login names may hold dots (zhang.san)
    filter_backends = []  # q and initial are read by get_queryset; anything else is a 400

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        if self.action != "list":
            return visibility.administered_logins(self.request.user)
        params = self.request.query_params
        initial = params.get("initial", "").strip().lower()
        if initial not in INITIAL_PARAMETER:
            raise ApiError(
                400,
                "invalid",
                "initial 参数应为 true 或 false（1 或 0）",
                "initial is true or false (1 or 0)",
                detail={"initial": [params["initial"]]},
            )
        return visibility.administered_logins(
            self.request.user,
            query=params.get("q", ""),
            initial_only=INITIAL_PARAMETER[initial],
        )

    @extend_schema(
        summary="Staff logins of the caller's area (工作人员账号)",
        description=(
            "The active logins holding an active role in the area the caller administers "
            "(community, street or district staff; others 403), by login name, paged. Names "
            "are masked. `initial_password` marks a login still on a password someone else "
            "set; `may_reset_password` says whether the caller may reset it. A query "
            "parameter other than these is refused with 400 `unknown_parameter`."
        ),
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Part of the login or the name"),
            OpenApiParameter(
                "initial",
                OpenApiTypes.BOOL,
                description="true: only the logins still on an initial password",
            ),
        ],
    )
    def list(self, request, *args, **kwargs):
        paginator = self.paginator
        refuse_unknown_parameters(
            request, "q", "initial", paginator.page_query_param, paginator.page_size_query_param
        )
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Reset the password of a login (重置密码)",
        description=(
            "Sets a new initial password, answered this once (`Cache-Control: no-store`): its "
            "holder must change it at the next sign-in. The login's sessions end and its API "
            "token is revoked; a PasswordReset row (channel `api`) records who reset it. "
            "Allowed for the staff below the caller in the caller's area only: a colleague "
            "at the caller's level or above, one who also works elsewhere, a superuser or an "
            "admin user is 403 `permission_denied` and nothing changes; a login outside the "
            "area is 404. No body."
        ),
        request=None,
        responses={200: OpenApiResponse(serializers.PasswordResetSerializer)},
    )
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request, username=None):
        refuse_unknown_parameters(request)
        login = self.get_object()
        if not may_reset_password_of(request.user, login):
            raise refused(
                "您只能重置本人辖区内下级工作人员的密码。同级或上级同事、同时在辖区外任职的人员"
                "以及管理员的密码，请由系统管理员重置。",
                "You may reset the passwords of the staff below you in your own area only. A "
                "colleague's at your level or above, one who also works elsewhere, or an "
                "administrator's is reset by the system administrator.",
            )
        password = passwords.reset(
            login, request.user, ip=client_ip(request), channel=PasswordReset.Channel.API
        )
        response = Response({"username": login.get_username(), "password": password})
        response["Cache-Control"] = "no-store"  # the password is shown once, kept nowhere
        return response


class MeView(APIView):
    """The caller's roles, scope and rights, for clients to shape their menus."""

    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request):
        refuse_unknown_parameters(request)
        user = request.user
        scope = scope_for(user)
        assignments = (
            RoleAssignment.objects.filter(user=user, active=True)
            .select_related("place", "department")
            .order_by("role", "id")
        )
        person = Person.objects.filter(user=user).values_list("pk", flat=True).first()
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "is_superuser": user.is_superuser,
            "person": person,
            "roles": [
                {
                    "role": a.role,
                    "label": str(a.get_role_display()),
                    "place": a.place.code if a.place_id else None,
                    "place_name": a.place.name if a.place_id else None,
                    "department": a.department.code if a.department_id else None,
                }
                for a in assignments
            ],
            "scope": _scope_codes(scope),
            "departments": sorted(
                Department.objects.filter(pk__in=scope.department_ids).values_list(
                    "code", flat=True
                )
            ),
            "may_view_personal_data": user.has_perm("people.view_personal_data"),
            "personal_data_scope": _codes(scope.paths(PERSONAL_DATA_ROLES)),
            "may_view_access_logs": user.has_perm("people.view_access_log"),
        }
        return Response(serializers.MeSerializer(data).data)


def _codes(paths):
    # A path ends with its place's own code: /D01/S01/C01/ -> C01.
    return [p.strip("/").split("/")[-1] for p in paths]


def _scope_codes(scope):
    if scope.everything:
        return list(Place.objects.filter(parent=None).values_list("code", flat=True))
    # A resident's or volunteer's place says where they are, not what they may browse.
    return _codes(scope.paths(STAFF_ROLES))


router = SimpleRouter()
# Before "people": its detail route people/{pk}/ would take people/staff/.
router.register("people/staff", StaffLoginViewSet, basename="staff-login")
router.register("people", PersonViewSet, basename="person")
router.register("households", HouseholdViewSet, basename="household")
router.register("departments", DepartmentViewSet, basename="department")
router.register("party-organizations", PartyOrganizationViewSet, basename="party-organization")
router.register("party-members", PartyMemberViewSet, basename="party-member")
router.register("check-ins", CheckInViewSet, basename="check-in")
router.register("role-assignments", RoleAssignmentViewSet, basename="role-assignment")
router.register("access-logs", AccessLogViewSet, basename="access-log")

urlpatterns = [path("me/", MeView.as_view(), name="me"), *router.urls]
