"""One guard in front of the Wagtail admin: every URL that names an object is checked against
the object's scope, in one place.

Wagtail checks page permissions in its main page views, and the scoped viewsets
(`base.viewsets`) limit listings and choosers. Views of one object load it by id in many
different ways (and a few ask no permission at all: workflow cancellation dialogs,
bulk-action confirmations, the images and documents API), so this middleware applies the
rules to all of them, before any view runs:

- The auditor role only reads: every non-GET request under /admin/ is refused (403),
  except signing out and the two-factor pages.
- A view of one row (a `pk` URL argument, the model given by the viewset that built the
  view) answers 404 unless the row is inside its model's scope, read from the model's
  registered permission policy (`base.policies`): edit, delete, copy, history, usage,
  inspect, revisions, preview, lock, workflow actions, the chooser's "chosen".
- An admin view that takes a page id answers 404 unless the user holds a page permission
  on that page (on it or an ancestor: the street's centre station, the staff's station).
- A bulk action answers 404 if any of its objects is outside the user's permissions; its
  "select all" (``?id=all``) means all rows *in the user's scope*, never the whole table.
- The page chooser's "chosen multiple" lookup (``?id=1&id=2``) answers 404 for any page the
  user could not have picked from the chooser, and so does browsing into such a page (a
  draft of another street): the chooser offers published pages and drafts the user may edit.
- District-wide reports (the site history, page types usage) are for district-wide roles:
  their rows are not scoped by street.
- Workflow and task administration needs the workflow permissions.
- Every id the URL carries must be one (ASCII digits within the database's range,
  `base.ids.parse_id`): a "²" or a 20-digit number answers 404, not a server error.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import IntegerField
from django.http import Http404, QueryDict
from django.shortcuts import render
from django.urls import Resolver404, resolve

from wagtail.models import Page

from base.ids import LARGEST_ID, parse_id
from base.policies import ScopedPermissionPolicy, may_reach, policy_for
from base.roles import roles_of

PAGE_ID_KWARGS = ("page_id", "parent_page_id", "page_to_move_id")
# Views that deal with page ids themselves: the explorer and chooser walk the tree (their
# listings are filtered by hooks), moving checks the destination with can_move_to.
PAGE_VIEWS_LEFT_TO_WAGTAIL = {
    "wagtailadmin_explore",
    "wagtailadmin_explore_results",
    "wagtailadmin_choose_page_child",
}
PAGE_PK_VIEWS = {
    "wagtailadmin_pages:revisions_compare",
    "wagtailadmin_api:pages:detail",
    "wagtailadmin_api:pages:action",
}
# Reports whose rows Wagtail does not filter by object: only district-wide roles open them,
# and only they see them in the reports menu (by the menu items' names).
DISTRICT_WIDE_REPORTS = {
    "wagtailadmin_reports:site_history",
    "wagtailadmin_reports:site_history_results",
    "wagtailadmin_reports:page_types_usage",
    "wagtailadmin_reports:page_types_usage_results",
}
DISTRICT_WIDE_REPORT_MENU_ITEMS = {"site-history", "page-types-usage"}
PAGE_CHOSEN_MULTIPLE = "wagtailadmin_choose_page_chosen_multiple"
PAGE_CHOOSER_BROWSE = "wagtailadmin_choose_page_child"
AUDITOR_POST_ALLOWED = {"wagtailadmin_logout", "two_factor_verify", "two_factor_setup"}
WORKFLOW_PERMISSIONS = ("wagtailcore.add_workflow", "wagtailcore.change_workflow", "wagtailcore.delete_workflow")


def user_may_reach_page(user, page_id) -> bool:
    if user.is_superuser:
        return True
    page = Page.objects.filter(pk=page_id).only("pk", "path", "depth").first()
    if page is None:
        return True  # the view answers 404 itself
    return bool(page.permissions_for_user(user).permissions)


def user_may_choose_page(user, page_id) -> bool:
    """What the page chooser offers: published pages (public anyway) and reachable drafts."""
    if Page.objects.filter(pk=page_id, live=True).exists():
        return True
    return user_may_reach_page(user, page_id)


def _scope_select_all(request, user, model) -> None:
    """Turn a bulk action's "select all" into the ids of the rows in the user's scope.

    Wagtail resolves ``id=all`` to every row of the model (or every child of ``childOf``),
    whatever the listing showed. Rows of a scoped model become the in-scope ids; pages need
    a parent page the user may reach.
    """
    if user.is_superuser:
        return
    if issubclass(model, Page):
        parent = request.GET.get("childOf", "")
        if parse_id(parent) is None or not user_may_reach_page(user, parent):
            raise Http404
        return
    policy = policy_for(model)
    if not isinstance(policy, ScopedPermissionPolicy):
        return  # a district-wide model: the user's model permissions decide, row by row
    in_scope = policy.instances_user_has_any_permission_for(user, {"add", "change", "delete", "view"})
    query = request.GET.copy()
    query.setlist("id", [str(pk) for pk in in_scope.values_list("pk", flat=True)] or ["0"])
    request.GET = QueryDict(query.urlencode())


def user_may_reach_object(user, model, pk) -> bool:
    if issubclass(model, Page):
        return user_may_reach_page(user, pk)
    instance = model._default_manager.filter(pk=pk).first()
    if instance is None:
        return True  # the view answers 404 itself
    return may_reach(user, instance)


def ids_are_well_formed(request, view_func, view_kwargs) -> bool:
    """Every id the URL carries is one (`base.ids.parse_id`): numbers in the path within the
    database's range, a `pk` of a model with integer keys, and the query string's `id` and
    `childOf` values. Anything else is answered with 404 before a view could fail on it."""
    for value in view_kwargs.values():
        if isinstance(value, int) and not 0 <= value <= LARGEST_ID:
            return False
    model = viewed_model(view_func)
    if model is not None and "pk" in view_kwargs and isinstance(model._meta.pk, IntegerField):
        if parse_id(unquote(str(view_kwargs["pk"]))) is None:
            return False
    ids = [value for value in request.GET.getlist("id") if value != "all"] + request.GET.getlist("childOf")
    return all(parse_id(value) is not None for value in ids)


def viewed_model(view_func):
    """The model a viewset built this view for (Wagtail passes it to as_view)."""
    model = getattr(view_func, "view_initkwargs", {}).get("model") or getattr(
        getattr(view_func, "view_class", None), "model", None
    )
    if isinstance(model, str):  # "app_label.Model", as some of Wagtail's viewsets give it
        try:
            model = apps.get_model(model)
        except (LookupError, ValueError):
            return None
    return model if isinstance(model, type) else None


def row_in_scope(user, model, pk) -> bool:
    """Whether the row `pk` of a scoped model is inside the user's scope (rows of unscoped
    models are left to the view). An id that matches no row is "out of scope" too: the
    answer is the same 404 the view would give."""
    policy = policy_for(model)
    if not isinstance(policy, ScopedPermissionPolicy) or user.is_superuser:
        return True
    try:
        return policy.pk_in_scope(user, pk)
    except (ValueError, ValidationError):  # not an id of this model: the view answers 404
        return True


class AdminScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        try:
            match = request.resolver_match or resolve(request.path_info)
        except Resolver404:
            return None
        if not match.route.startswith("admin/"):
            return None
        name = match.view_name

        roles = roles_of(user)
        if request.method not in ("GET", "HEAD", "OPTIONS") and name not in AUDITOR_POST_ALLOWED and roles.is_auditor:
            return render(request, "permissions/read_only.html", status=403)

        if not ids_are_well_formed(request, view_func, view_kwargs):
            raise Http404

        model = viewed_model(view_func)
        if model is not None and "pk" in view_kwargs and not issubclass(model, Page):
            if not row_in_scope(user, model, unquote(str(view_kwargs["pk"]))):
                raise Http404

        if name == PAGE_CHOOSER_BROWSE and not user_may_choose_page(user, view_kwargs["parent_page_id"]):
            raise Http404  # browsing into a draft: its title and slug are no one else's business

        if name not in PAGE_VIEWS_LEFT_TO_WAGTAIL:
            page_ids = [view_kwargs[key] for key in PAGE_ID_KWARGS if key in view_kwargs]
            if name in PAGE_PK_VIEWS and "pk" in view_kwargs:
                page_ids.append(view_kwargs["pk"])
            if any(not user_may_reach_page(user, page_id) for page_id in page_ids):
                raise Http404

        if name == "wagtail_bulk_action":
            try:
                model = apps.get_model(view_kwargs["app_label"], view_kwargs["model_name"])
            except LookupError:
                raise Http404 from None
            if "all" in request.GET.getlist("id"):
                _scope_select_all(request, user, model)
            ids = [pk for pk in request.GET.getlist("id") if pk != "all"]
            if any(not user_may_reach_object(user, model, pk) for pk in ids):
                raise Http404

        if name == PAGE_CHOSEN_MULTIPLE:
            if any(not user_may_choose_page(user, pk) for pk in request.GET.getlist("id")):
                raise Http404

        if name in DISTRICT_WIDE_REPORTS and not roles.district_wide:
            raise Http404

        if name.startswith("wagtailadmin_workflows:") and not any(user.has_perm(p) for p in WORKFLOW_PERMISSIONS):
            raise Http404
        return None
