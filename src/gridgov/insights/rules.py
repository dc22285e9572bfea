"""Who may see and act on insights: one predicate per idea, one line per permission."""

import rules

from gridgov.people.models import Role
from gridgov.people.scope import scope_for

# Staff who look after an area see its hot issues; community staff and above decide on them.
VIEW_ROLES = {
    Role.GRID_WORKER,
    Role.COMMUNITY_STAFF,
    Role.STREET_STAFF,
    Role.DISTRICT_STAFF,
    Role.HOTLINE_OPERATOR,
}
DECIDE_ROLES = {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_STAFF}
# Street staff follow how the classifier does; one model serves the whole district, so
# only district staff change it (retrain, put a version in use).
MODEL_VIEW_ROLES = {Role.STREET_STAFF, Role.DISTRICT_STAFF}
MODEL_ROLES = {Role.DISTRICT_STAFF}


@rules.predicate
def sees_hot_issue(user, issue=None):
    scope = scope_for(user)
    if issue is None:
        return scope.has_role(VIEW_ROLES)
    if issue.place_id is None:
        # Not located in the tree: for the district desks (hotline, district staff).
        return scope.has_role({Role.DISTRICT_STAFF, Role.HOTLINE_OPERATOR})
    return scope.covers(issue.place, VIEW_ROLES) or scope.reaches(issue.place, DECIDE_ROLES)


@rules.predicate
def decides_hot_issue(user, issue=None):
    scope = scope_for(user)
    if issue is None:
        return scope.has_role(DECIDE_ROLES)
    if issue.place_id is None:
        return scope.has_role({Role.DISTRICT_STAFF})
    return scope.covers(issue.place, DECIDE_ROLES)


@rules.predicate
def follows_classifier(user):
    return scope_for(user).has_role(MODEL_VIEW_ROLES)


@rules.predicate
def looks_after_classifier(user):
    return scope_for(user).has_role(MODEL_ROLES)


@rules.predicate
def is_intake_staff(user):
    return scope_for(user).has_role(VIEW_ROLES | {Role.COMMUNITY_POLICE})


is_superuser = rules.is_superuser

rules.add_perm("insights.view_hotissue", is_superuser | sees_hot_issue)
rules.add_perm("insights.decide_hotissue", is_superuser | decides_hot_issue)
rules.add_perm("insights.view_classifier", is_superuser | follows_classifier)
rules.add_perm("insights.retrain_classifier", is_superuser | looks_after_classifier)
rules.add_perm("insights.activate_classifier", is_superuser | looks_after_classifier)
rules.add_perm("insights.classify_text", is_superuser | is_intake_staff)
rules.add_perm("insights.find_duplicates", is_superuser | is_intake_staff)
