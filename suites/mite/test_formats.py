"""mite formats and verbs: JSON/XML suffixes, Accept ignored, 406, HEAD, PUT, write statuses."""
import pytest

from apiconform.checks import formats, verbs
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)

SERVICE = {"name": "apiconform formats", "note": "first"}


@pytest.mark.parametrize("res", list(CONTRACT.resources))
def test_xml_carries_the_json_data(api, res):
    formats.same_data_in_every_format(api, res, "mite.format.xml")


def test_create_from_xml(api):
    formats.create_from_xml(api, "services", {"name": "apiconform xml", "note": "x < y & z"}, "mite.format.xml")


def test_accept_header_ignored(api):
    formats.accept_ignored(api, "mite.format.accept-ignored")


def test_unsupported_suffix_406(api):
    formats.unsupported_suffix(api, "mite.format.406")


def test_head_like_get(api):
    formats.head_like_get(api, "mite.verb.head", "mite.cond.etag")


def test_put_is_patch(api):
    formats.put_is_patch(api, "services", SERVICE, {"note": "put"}, "mite.verb.put-alias")


@pytest.mark.parametrize("res", ["customers", "services"])
def test_create_201_location(api, res):
    verbs.create_answers(api, res, SERVICE, "mite.verb.create-201")


def test_update_empty_200(api):
    verbs.update_answers(api, "services", SERVICE, {"note": "patched"}, "mite.verb.update-200")


def test_delete_empty_200(api):
    verbs.delete_answers(api, "services", SERVICE, "mite.verb.delete-200", "mite.status.404-unknown")


def test_content_type_required(api):
    formats.content_type_required(api, "services", SERVICE, "mite.verb.content-type-required")
