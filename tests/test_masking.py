"""Citizens' names and phones are masked unless someone with a need looks, and that is logged."""

import pytest

from django.contrib.auth import get_user_model
from django.test import RequestFactory

from base.masking import mask_name, mask_phone, reveal
from base.models import AuditEvent


@pytest.mark.parametrize("name,masked", [("张三", "张*"), ("欧阳明珠", "欧***"), ("李", "李*"), ("", "")])
def test_names_keep_only_the_first_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    "phone,masked",
    [("13812341234", "138****1234"), ("+86 138-1234-1234", "138****1234"), ("0571-87001234", "********1234")],
)
def test_phones_keep_only_the_prefix_and_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.django_db
def test_revealing_a_value_is_logged_with_who_and_what(rf: RequestFactory):
    viewer = get_user_model().objects.create_user("clerk")
    subject = get_user_model().objects.create_user("citizen", first_name="三", last_name="张")
    request = rf.get("/admin/", REMOTE_ADDR="10.9.8.7")
    request.user = viewer
    assert reveal(request, subject, "last_name") == "张"
    event = AuditEvent.objects.get(action="personal_data_viewed")
    assert (event.actor, event.object_id, event.detail, event.ip_address) == (
        viewer,
        str(subject.pk),
        {"field": "last_name"},
        "10.9.8.7",
    )
