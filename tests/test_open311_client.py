"""The round trip with an Open311 client library from PyPI (georeport 0.3.1) against a real
server: list the services, read a definition, send an opinion with a key, read it back and
filter, in JSON and in XML.

georeport reads only (it keeps the api_key but has no method to send); sending is added
here the way its readers are written (requests, then json / xmltodict), with Open311's
form-encoded POST."""

from __future__ import annotations

import pytest
import requests
import xmltodict
from georeport import GeoReport

from api.models import ApiKey
from tests.conftest import new_opinion
from workflows.models import Channel, Opinion

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class SendingGeoReport(GeoReport):
    def post_service_request(self, service_code: str, attributes: dict, **fields) -> list[dict]:
        data = {"service_code": service_code, "api_key": self.api_key, **fields}
        if self.jurisdiction:
            data["jurisdiction_id"] = self.jurisdiction
        data.update({f"attribute[{code}]": value for code, value in attributes.items()})
        response = requests.post(f"{self.root_address}/requests.{self.output_format}", data=data, timeout=30)
        response.raise_for_status()
        if self.output_format == "json":
            return response.json()
        return [xmltodict.parse(response.content)["service_requests"]["request"]]


def as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_round_trip_with_the_georeport_client(live_server, two_streets, output_format):
    station = two_streets["station"]
    earlier = new_opinion(station, citizen_phone="13900001111")
    key = ApiKey(client_name="区12345热线平台")
    raw = key.set_new_key()
    key.save()
    client = SendingGeoReport(
        f"{live_server.url}/open311/v2/", jurisdiction="lianluo", api_key=raw, output_format=output_format
    )

    services = as_list(client.get_service_list())
    traffic = next(service for service in services if service["service_name"] == "交通出行")
    definition = client.get_service_definition(traffic["service_code"])
    attributes = as_list(definition["attributes"] if output_format == "json" else definition["attributes"]["attribute"])
    station_attribute = next(attribute for attribute in attributes if attribute["code"] == "station")
    values = as_list(station_attribute["values"] if output_format == "json" else station_attribute["values"]["value"])
    choice = next(value for value in values if value["name"].endswith("东平巷代表联络站"))

    (receipt,) = client.post_service_request(
        traffic["service_code"],
        {"station": choice["key"]},
        description="东平巷口夜间路灯不亮，老人出行不便。",
        last_name="王",
        first_name="小明",
        phone="13812345678",
    )
    request_id = receipt["service_request_id"]
    assert "回执编号" in receipt["service_notice"]
    stored = Opinion.objects.get(receipt_no=request_id)
    assert stored.channel == Channel.OPEN_API and stored.station_id == station.pk

    back = client.get_service_request(request_id)
    assert back["service_request_id"] == request_id
    assert back["status"] == "open" and back["status_notes"] == "待受理"
    assert back["address"] == "东平巷代表联络站" and back["service_name"] == "交通出行"

    listed = as_list(client.get_service_requests(service_code=traffic["service_code"], status="open"))
    assert {row["service_request_id"] for row in listed} == {request_id, earlier.receipt_no}
    both = as_list(client.get_service_requests(service_request_id=f"{request_id},{earlier.receipt_no}"))
    assert len(both) == 2
    if output_format == "json":  # (georeport cannot read an empty XML list: it indexes into None)
        assert client.get_service_requests(status="closed") == []
    # Nothing personal travels back.
    raw_answer = requests.get(f"{live_server.url}/open311/v2/requests.{output_format}", timeout=30).text
    assert "王小明" not in raw_answer and "13812345678" not in raw_answer and "路灯不亮" not in raw_answer

    # A bad key is an HTTP error the client raises, with Open311's error list in Chinese.
    client.api_key = "ll311_wrong"
    with pytest.raises(requests.HTTPError) as refused:
        client.post_service_request(traffic["service_code"], {"station": choice["key"]}, description="测试测试测试")
    assert refused.value.response.status_code == 401
    assert Opinion.objects.count() == 2
