from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from workflows.models import CalendarDay


class CalendarDayViewSet(SnippetViewSet):
    model = CalendarDay
    icon = "date"
    menu_label = "节假日调整"
    menu_order = 300
    add_to_admin_menu = True
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    ordering = ["-date"]


register_snippet(CalendarDayViewSet)
