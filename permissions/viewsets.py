"""Wagtail's user and group screens, with each user's and group's history and usage open to
the auditor (see `base.viewsets.AuditorReadsMixin`)."""

from __future__ import annotations

from wagtail.users.views import users as user_views
from wagtail.users.views.groups import GroupViewSet as WagtailGroupViewSet
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from base.viewsets import AuditorReadsMixin, ModelHistoryView, ModelUsageView


class UserHistoryView(AuditorReadsMixin, user_views.HistoryView):
    pass


class UserViewSet(WagtailUserViewSet):
    history_view_class = UserHistoryView
    usage_view_class = ModelUsageView


class GroupViewSet(WagtailGroupViewSet):
    history_view_class = ModelHistoryView
    usage_view_class = ModelUsageView
