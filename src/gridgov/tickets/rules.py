"""Who may do what to a ticket: one predicate per idea, one line per permission."""

import rules

from gridgov.people.models import Role
from gridgov.people.scope import scope_for
from gridgov.places.models import Level

from . import progress
from .models import HANDLING_STATUSES, Channel, Nature, Status

# The office role of each place level: who handles a ticket owned by that place.
OFFICE_ROLE = {
    Level.GRID: Role.GRID_WORKER,
    Level.COMMUNITY: Role.COMMUNITY_STAFF,
    Level.STREET: Role.STREET_STAFF,
    Level.DISTRICT: Role.DISTRICT_STAFF,
}
SUPERVISOR_ROLES = {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_STAFF}
DISPATCH_ROLES = {Role.HOTLINE_OPERATOR, Role.STREET_STAFF, Role.DISTRICT_STAFF}
INTAKE_ROLES = {
    Role.HOTLINE_OPERATOR,
    Role.GRID_WORKER,
    Role.COMMUNITY_STAFF,
    Role.STREET_STAFF,
    Role.DISTRICT_STAFF,
}
IMPORT_ROLES = {Role.HOTLINE_OPERATOR, Role.STREET_STAFF, Role.DISTRICT_STAFF}
# Who is offered the 12345 hotline form: its operators and the street and district offices
# that take its transfers. A grid worker or a community office takes demands in at a window,
# a suggestion box or an event; offered the hotline form first, their tickets read as 12345
# calls and skewed the channel counts (a UI review).
HOTLINE_ROLES = {Role.HOTLINE_OPERATOR, Role.STREET_STAFF, Role.DISTRICT_STAFF}
VIEW_ROLES = {
    Role.GRID_WORKER,
    Role.MICRO_GRID_WORKER,
    Role.COMMUNITY_STAFF,
    Role.STREET_STAFF,
    Role.DISTRICT_STAFF,
    Role.HOTLINE_OPERATOR,
    Role.COMMUNITY_POLICE,
    Role.CADRE,
}


def _where(ticket):
    """The place that decides scope: the location, else the owning office (a desk), else,
    for a ticket nobody could place sent to a department, where the department serves (as
    sees_ticket has it): its district's desks call it back once resolved, which no desk
    could (nobody's 待回访, never closed, never in a 解决率)."""
    if ticket.place_id or ticket.owner_place_id or not ticket.owner_department_id:
        return ticket.place or ticket.owner_place
    return ticket.owner_department.place


@rules.predicate
def is_owner_handler(user, ticket):
    scope = scope_for(user)
    if ticket.owner_department_id:
        return ticket.owner_department_id in scope.department_ids
    owner = ticket.owner_place
    if owner is None:
        return False
    role = OFFICE_ROLE.get(owner.level)
    return owner.path in scope.paths_by_role.get(role, ())


@rules.predicate
def is_above_owner(user, ticket):
    scope = scope_for(user)
    if ticket.owner_department_id:
        return scope.covers(_where(ticket), {Role.STREET_STAFF, Role.DISTRICT_STAFF})
    owner = ticket.owner_place
    if owner is None:
        return False
    return any(
        owner.path.startswith(path) and owner.path != path for path in scope.paths(SUPERVISOR_ROLES)
    )


@rules.predicate
def is_praise(user, ticket):
    return ticket.nature == Nature.PRAISE


@rules.predicate
def is_dispatcher(user, ticket):
    return scope_for(user).covers(_where(ticket), DISPATCH_ROLES)


# Statuses in which the dispatch desk has something to do: route it, or call back (the
# queue's desk tab, queues.py, adds merged tickets whose matter is resolved).
DESK_STATUSES = (Status.RECEIVED, Status.RETURNED, Status.RESOLVED)


@rules.predicate
def is_dispatcher_in_contact(user, ticket):
    """The desk deals with the requester itself only while the demand waits for it (to be
    placed, or called back; a merged ticket's requester is called back too). In between
    the owning unit does, and only its handlers see the requester in full (DESIGN §8)."""
    waiting = ticket.status in DESK_STATUSES or ticket.status == Status.MERGED
    return waiting and is_dispatcher(user, ticket)


@rules.predicate
def is_intake_staff(user, ticket):
    return scope_for(user).covers(_where(ticket), INTAKE_ROLES)


@rules.predicate
def is_street_staff(user, ticket):
    return scope_for(user).covers(_where(ticket), {Role.STREET_STAFF, Role.DISTRICT_STAFF})


@rules.predicate
def sees_ticket(user, ticket):
    scope = scope_for(user)
    if ticket.owner_department_id and ticket.owner_department_id in scope.department_ids:
        return True
    if ticket.whistles.filter(summonses__department_id__in=scope.department_ids).exists():
        return True
    if scope.covers(ticket.place, VIEW_ROLES) or scope.covers(ticket.owner_place, VIEW_ROLES):
        return True
    # A ticket nobody could place, routed to a department, lies where that department
    # serves (_where): its district's (or street's) staff and desks see it, as a placed one.
    return scope.covers(_where(ticket), VIEW_ROLES)


@rules.predicate
def is_escalated(user, ticket):
    return ticket.status == "escalated"


# An escalated ticket is sent down again (派单/指定) by the unit it was passed up to, or by
# the street above it; not by the hotline desk, whose part ended with the first dispatch.
sends_escalated_down = is_escalated & (is_owner_handler | is_street_staff)


@rules.predicate
def awaits_dispatch(user, ticket):
    return ticket.status in (Status.RECEIVED, Status.RETURNED)


@rules.predicate
def is_handled_by_place_office(user, ticket):
    """Held by a community, street or district office that signed for it (accepted, in
    progress, reopened): one with offices below it. Not a grid, not a department."""
    return ticket.status in HANDLING_STATUSES and ticket.owner_has_offices_below


# 交办 (a dispatch from handling): the office holding the ticket hands it down within its
# own area (lifecycle.hand_down_units), as a community gives the 小事 to its grid.
hands_down = is_handled_by_place_office & is_owner_handler


@rules.predicate
def is_own_ticket(user, ticket):
    """The user filed it, or is its requester (我的诉求)."""
    return progress.is_own(user, ticket)


# Who reads the ticket's free text as written (description, title, reply, callback notes,
# the timeline's reasons): those who may see the requester in full (the unit that holds
# it, which acts on it, and the desk while the demand waits for it, to place it or call
# back), and the requester or reporter themselves, whose own words they are. Every other
# viewer (community police, cadres, offices above, summoned departments) reads it
# scrubbed of phones, ID and room numbers and the requester's name (DESIGN §8;
# requester_text.py). No query per row: the scope and the user's person are read once.
may_read_requester_text = is_owner_handler | is_dispatcher_in_contact | is_own_ticket


@rules.predicate
def is_summoned_handler(user, ticket):
    """A handler of a department a whistle on this ticket summoned."""
    departments = scope_for(user).department_ids
    return (
        bool(departments)
        and ticket.whistles.filter(summonses__department_id__in=departments).exists()
    )


@rules.predicate
def handles_department(user, department):
    return department.pk in scope_for(user).department_ids


# Roles that see some requester in full (tickets.view_requester): the offices that own
# tickets (OFFICE_ROLE) and the dispatch desks; department handlers own tickets too.
CONTACT_ROLES = {*OFFICE_ROLE.values(), *DISPATCH_ROLES, Role.DEPARTMENT_HANDLER}


@rules.predicate
def may_export_contacts(user):
    """No object: whose work may show callers in full somewhere, so an export "with
    contacts" (exports.py) is theirs to ask for. Which rows it then shows in full is still
    `tickets.view_requester`, row by row; community police, micro-grid workers and cadres
    see no requester in full, so they export masked lists only."""
    return scope_for(user).has_role(CONTACT_ROLES)


@rules.predicate
def may_import(user):
    return scope_for(user).has_role(IMPORT_ROLES)


@rules.predicate
def works_on_tickets(user):
    """Staff with a ticket role anywhere, or a department handler: the workbench is theirs."""
    scope = scope_for(user)
    return scope.has_role(VIEW_ROLES) or bool(scope.department_ids)


@rules.predicate
def takes_in_demands(user):
    return scope_for(user).has_role(INTAKE_ROLES)


@rules.predicate
def answers_hotline(user):
    return scope_for(user).has_role(HOTLINE_ROLES)


SETTINGS_ROLES = {Role.STREET_STAFF, Role.DISTRICT_STAFF}


@rules.predicate
def is_street_or_district_staff(user):
    """No object: street or district staff anywhere (reading the knowledge base)."""
    return scope_for(user).has_role(SETTINGS_ROLES)


@rules.predicate
def covers_rule_place(user, rule):
    """A routing rule for a place in the user's street or district; one for everywhere
    (no place) needs district staff; without a rule, whether the user may write any."""
    scope = scope_for(user)
    if rule is None:
        return scope.has_role(SETTINGS_ROLES)
    if rule.place_id is None:
        return scope.has_role({Role.DISTRICT_STAFF})
    return scope.covers(rule.place, SETTINGS_ROLES)


@rules.predicate
def is_district_staff(user):
    """No object: district staff anywhere (calendar days and the knowledge base, which
    every street counts on)."""
    return scope_for(user).has_role({Role.DISTRICT_STAFF})


def _district_staff_own(user, row, district):
    """Whether `user` may write `row`, a setting held per district (`district`; None: the
    whole deployment's, which moves every district and so is the superusers' alone):
    district staff, for their own district; without a row, whether they may write any."""
    scope = scope_for(user)
    if row is None:
        return scope.has_role({Role.DISTRICT_STAFF})
    if district is None:
        return False
    return district.level == Level.DISTRICT and scope.covers(district, {Role.DISTRICT_STAFF})


@rules.predicate
def covers_limit_district(user, limit):
    """A time limit for the user's own district; a city-wide one (no place) moves every
    street's deadlines and KPIs."""
    return _district_staff_own(user, limit, limit.place if limit and limit.place_id else None)


@rules.predicate
def covers_weights_district(user, weights):
    """考核权重 (a KpiWeights, saved or not) for the user's own district; the deployment's
    (no district) score every district without its own and rank the districts."""
    district = weights.district if weights and weights.district_id else None
    return _district_staff_own(user, weights, district)


@rules.predicate
def walks_patrols(user):
    """A grid or micro-grid worker, or the assignee of some patrol task."""
    from .models import PatrolTask
    from .patrols import PATROL_ROLES

    if scope_for(user).has_role(PATROL_ROLES):
        return True
    return bool(user.pk) and PatrolTask.objects.filter(assignee=user, active=True).exists()


@rules.predicate
def plans_patrols(user):
    from .patrols import PLAN_ROLES

    return scope_for(user).has_role(PLAN_ROLES)


@rules.predicate
def visits_households(user, grid=None):
    """Whose area's households are listed for visiting (patrols.VISIT_AREA_ROLES: grid and
    micro-grid workers, sent-down cadres, community staff); with a grid, whose area lies
    in it or around it (a micro-grid worker of one building visits in its grid)."""
    from .patrols import VISIT_AREA_ROLES

    scope = scope_for(user)
    if grid is None:
        return scope.has_role(VISIT_AREA_ROLES)
    return scope.reaches(grid, VISIT_AREA_ROLES)


# Channels on which staff take a demand in for someone else (the desks' intake forms).
DESK_CHANNELS = {Channel.HOTLINE, Channel.WINDOW, Channel.BOX, Channel.EVENT}


@rules.predicate
def files_on_channel(user, channel):
    """Who may file a demand on a channel: the desks' channels need an intake role, a
    patrol's hazard a patrol walker, a visit's demand a visitor (Party members too); the self-service
    channels (随手拍, mini-program, API clients) anyone signed in."""
    if channel in DESK_CHANNELS:
        return takes_in_demands(user)
    if channel == Channel.PATROL:
        return walks_patrols(user)
    if channel == Channel.VISIT:
        from .patrols import may_visit

        return may_visit(user)
    return bool(user.is_authenticated)


is_superuser = rules.is_superuser

rules.add_perm("tickets.add_ticket", rules.is_authenticated)
rules.add_perm("tickets.use_workbench", is_superuser | works_on_tickets)
rules.add_perm("tickets.take_in", is_superuser | takes_in_demands)
rules.add_perm("tickets.take_calls", is_superuser | answers_hotline)
rules.add_perm("tickets.file_on_channel", is_superuser | files_on_channel)
rules.add_perm("tickets.walk_patrols", is_superuser | walks_patrols)
rules.add_perm("tickets.plan_patrols", is_superuser | plans_patrols)
rules.add_perm("tickets.visit_households", is_superuser | visits_households)
rules.add_perm("tickets.view_ticket", is_superuser | sees_ticket)
rules.add_perm("tickets.view_requester", is_superuser | is_owner_handler | is_dispatcher_in_contact)
rules.add_perm("tickets.read_requester_text", is_superuser | may_read_requester_text)
rules.add_perm("tickets.export_contacts", is_superuser | may_export_contacts)
rules.add_perm(
    "tickets.dispatch_ticket",
    is_superuser | (is_dispatcher & awaits_dispatch) | sends_escalated_down | hands_down,
)
# Dispatch to any unit of the area; other holders of an escalated ticket send it only below them.
rules.add_perm("tickets.dispatch_anywhere", is_superuser | is_dispatcher)
rules.add_perm("tickets.accept_ticket", is_superuser | is_owner_handler)
rules.add_perm("tickets.return_ticket", is_superuser | is_owner_handler)
rules.add_perm(
    "tickets.designate_ticket",
    is_superuser | (is_street_staff & ~is_escalated) | sends_escalated_down,
)
rules.add_perm("tickets.contact_ticket", is_superuser | is_owner_handler)
rules.add_perm("tickets.extend_ticket", is_superuser | is_owner_handler)
rules.add_perm("tickets.approve_extension_ticket", is_superuser | is_above_owner)
# 督办 is pressure from above: the units above the owner, and the dispatch desks (12345
# presses on the units it sends tickets to), but no office on a ticket it holds itself.
rules.add_perm(
    "tickets.supervise_ticket",
    is_superuser | is_above_owner | (is_dispatcher & ~is_owner_handler),
)
rules.add_perm("tickets.escalate_ticket", is_superuser | is_owner_handler)
rules.add_perm("tickets.whistle_ticket", is_superuser | is_street_staff)
rules.add_perm("tickets.whistle_report_ticket", is_superuser | is_summoned_handler)
rules.add_perm("tickets.report_for_department", is_superuser | handles_department)
rules.add_perm("tickets.whistle_rate_ticket", is_superuser | is_street_staff)
rules.add_perm("tickets.resolve_ticket", is_superuser | is_owner_handler)
# The requester rates their own resolved demand (评价) as the dispatch desk calls back (回访).
# Not a handler of the owning unit rating a report of their own (it would count in the
# unit's 解决率 and 满意率).
rules.add_perm(
    "tickets.callback_ticket",
    is_superuser | is_dispatcher | (is_own_ticket & ~is_owner_handler),
)
rules.add_perm("tickets.reopen_ticket", is_superuser | is_dispatcher)
# A praise sent to a unit is closed by the desk that sent it or by the unit praised (知悉).
rules.add_perm(
    "tickets.close_ticket", is_superuser | is_dispatcher | (is_praise & is_owner_handler)
)
rules.add_perm("tickets.merge_ticket", is_superuser | is_dispatcher)
rules.add_perm("tickets.answer_ticket", is_superuser | is_intake_staff)
# Photos added after intake (photos.add): by those who act on the matter (the owning unit,
# the units above it, the dispatch desk, a summoned department) and by its requester or the
# account that reported it (我的诉求, a mini-program); not by those who only see it.
rules.add_perm(
    "tickets.add_photos",
    is_superuser
    | is_owner_handler
    | is_above_owner
    | is_dispatcher
    | is_summoned_handler
    | is_own_ticket,
)
rules.add_perm("tickets.view_kpis", is_superuser | works_on_tickets)
rules.add_perm("tickets.import_tickets", is_superuser | may_import)
rules.add_perm("tickets.view_settings", is_superuser | works_on_tickets)
# Time limits and calendar days are read by everyone with `view_settings`; written by
# district staff (their district's limits) and superusers (the city-wide ones too).
rules.add_perm("tickets.manage_calendar", is_superuser | is_district_staff)
rules.add_perm("tickets.manage_time_limits", is_superuser | covers_limit_district)
# 考核权重 score every street, community, grid and department of a district: its staff set
# its own (superusers any, and the deployment's); everyone who sees the ranking reads them
# and their history.
rules.add_perm("tickets.manage_kpi_weights", is_superuser | covers_weights_district)
# 知识库: every hotline operator in the city is offered these answers, so they are kept by
# district staff and superusers (each change recorded: knowledge.save_answer). Whoever takes
# demands in at a desk (热线受理, 窗口受理: the hotline operator, the windows' staff) reads
# them and their change record on the page, as the intake form offers them; street staff
# too (the API reads: `view_settings`).
rules.add_perm(
    "tickets.view_knowledge", is_superuser | is_street_or_district_staff | takes_in_demands
)
rules.add_perm("tickets.manage_knowledge", is_superuser | is_district_staff)
rules.add_perm("tickets.manage_routing", is_superuser | covers_rule_place)
