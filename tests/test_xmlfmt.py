"""Rails-style XML: what the sandbox encodes, the checks must decode to the JSON's data."""

from __future__ import annotations

import pytest

from apiconform import xmlfmt

ENTRY = {
    "id": 7,
    "minutes": 15,
    "date_at": "2015-10-16",
    "note": "Feedback <einarbeiten> & more",
    "billable": True,
    "locked": False,
    "revenue": None,
    "rate": 12.5,
    "hourly_rates_per_service": [{"service_id": 1, "hourly_rate": 4500}],
    "tracking": {"since": "2015-10-16T12:44:17+01:00", "minutes": 12},
}


def test_round_trip_of_a_single_resource() -> None:
    text = xmlfmt.dumps("time_entry", ENTRY)
    assert xmlfmt.loads(text) == ("time_entry", ENTRY)


def test_rails_conventions_on_the_wire() -> None:
    text = xmlfmt.dumps("time_entry", ENTRY)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<time-entry>')
    assert '<id type="integer">7</id>' in text
    assert '<billable type="boolean">true</billable>' in text
    assert '<rate type="float">12.5</rate>' in text
    assert '<revenue nil="true"></revenue>' in text
    assert "<date-at>2015-10-16</date-at>" in text  # strings carry no type
    assert "&lt;einarbeiten&gt; &amp;" in text
    assert '<hourly-rates-per-service type="array">' in text
    assert "<hourly-rate-per-service>" in text


def test_list_documents() -> None:
    items = [{"id": 1, "name": "Acme"}, {"id": 2, "name": "Globex"}]
    text = xmlfmt.dumps_list("customers", "customer", items)
    assert '<customers type="array">' in text and text.count("<customer>") == 2
    assert xmlfmt.loads(text) == ("customers", items)
    assert xmlfmt.loads(xmlfmt.dumps_list("time_entries", "time_entry", [])) == ("time_entries", [])
    assert "<time-entries" in xmlfmt.dumps_list("time_entries", "time_entry", [])


def test_nil_and_empty_values() -> None:
    assert xmlfmt.loads(xmlfmt.dumps("service", {"hourly_rate": None, "note": ""})) == (
        "service", {"hourly_rate": None, "note": ""})
    assert xmlfmt.dumps("tracker", {}).endswith("<tracker></tracker>\n")
    assert xmlfmt.loads(xmlfmt.dumps("tracker", {})) == ("tracker", {})
    assert xmlfmt.loads(xmlfmt.dumps("x", {"tags": []})) == ("x", {"tags": []})


def test_error_bodies() -> None:
    one = '<?xml version="1.0" encoding="UTF-8"?>\n<errors>\n  <error>Access denied.</error>\n</errors>'
    assert xmlfmt.loads(one) == ("errors", {"error": "Access denied."})
    several = "<errors><error>a</error><error>b</error><error>c</error></errors>"
    assert xmlfmt.loads(several) == ("errors", {"error": ["a", "b", "c"]})
    assert xmlfmt.loads(xmlfmt.dumps("errors", {"error": "msg"})) == ("errors", {"error": "msg"})


def test_other_rails_types_decode_as_strings_and_bytes_are_accepted() -> None:
    doc = b'<user><created-at type="datetime">2013-06-23T23:00:58+02:00</created-at>' \
          b'<date-at type="date">2008-04-16</date-at></user>'
    assert xmlfmt.loads(doc) == ("user", {"created_at": "2013-06-23T23:00:58+02:00", "date_at": "2008-04-16"})


def test_a_genuine_list_is_not_merged_with_repeated_tags() -> None:
    doc = '<x><a type="array"><a>1</a></a><b>1</b><b>2</b></x>'
    assert xmlfmt.loads(doc) == ("x", {"a": ["1"], "b": ["1", "2"]})


def test_singularize() -> None:
    assert xmlfmt.singularize("time_entries") == "time_entry"
    assert xmlfmt.singularize("customers") == "customer"
    assert xmlfmt.singularize("hourly_rates_per_service") == "hourly_rate_per_service"


NAMED_ENTRY = {
    "id": 7,
    "minutes": 15,
    "date-at": "2015-10-16",
    "note": "Feedback <einarbeiten> & more",
    "billable": True,
    "locked": False,
    "revenue": None,
    "rate": 12.5,
    "hourly-rates-per-service": [{"hourly-rate-per-service": {"service-id": 1, "hourly-rate": 4500}}],
    "tracking": {"since": "2015-10-16T12:44:17+01:00", "minutes": 12},
}


def test_expected_names_follow_the_dialect() -> None:
    assert xmlfmt.named("time_entry", ENTRY) == ("time-entry", NAMED_ENTRY)
    assert xmlfmt.named_list("time_entries", "time_entry", [ENTRY]) == ("time-entries", [{"time-entry": NAMED_ENTRY}])
    assert xmlfmt.named_list("customers", "customer", []) == ("customers", [])
    assert xmlfmt.named("x", {"tags": ["a"], "boxes": [[1]]}) == (
        "x", {"tags": [{"tag": "a"}], "boxes": [{"box": [{"box": 1}]}]})
    assert xmlfmt.named("tracker", {}) == ("tracker", {})


def test_named_decode_keeps_every_element_name() -> None:
    assert xmlfmt.loads_named(xmlfmt.dumps("time_entry", ENTRY)) == ("time-entry", NAMED_ENTRY)
    listed = xmlfmt.dumps_list("time_entries", "time_entry", [ENTRY, ENTRY])
    assert xmlfmt.loads_named(listed) == ("time-entries", [{"time-entry": NAMED_ENTRY}] * 2)
    doc = '<hash><created_at type="datetime">2013-06-23T23:00:58+02:00</created_at></hash>'
    assert xmlfmt.loads_named(doc) == ("hash", {"created_at": "2013-06-23T23:00:58+02:00"})
    assert xmlfmt.loads_named("<tracker></tracker>") == ("tracker", {})
    with pytest.raises(ValueError, match="XML"):
        xmlfmt.loads_named("<x><y></x>")


def test_repeated_tags_are_not_an_array_when_names_count() -> None:
    doc = "<x><tags><tag>a</tag></tags><tags><tag>b</tag></tags></x>"
    assert xmlfmt.loads_named(doc) == ("x", {"tags": ({"tag": "a"}, {"tag": "b"})})
    diff = xmlfmt.first_difference(xmlfmt.named("x", {"tags": [{"tag": "a"}, {"tag": "b"}]}), xmlfmt.loads_named(doc))
    assert diff == xmlfmt.Difference("x/tags", 'a type="array"', "repeated elements")


def _diff(expected: tuple[str, object], doc: str) -> xmlfmt.Difference | None:
    return xmlfmt.first_difference(expected, xmlfmt.loads_named(doc))


ITEM = {"id": 1, "created_at": "2013-06-23T23:00:58+02:00"}


@pytest.mark.parametrize("doc,path,expected,actual", [
    ('<time-entries type="array"><thing><id type="integer">1</id>'
     '<created-at>2013-06-23T23:00:58+02:00</created-at></thing></time-entries>',
     "time-entries/thing[0]", "<time-entry>", "<thing>"),
    ('<things type="array"></things>', "things", "<time-entries>", "<things>"),
    ('<time-entries type="array"><time-entry><id type="integer">1</id>'
     '<created_at>2013-06-23T23:00:58+02:00</created_at></time-entry></time-entries>',
     "time-entries/time-entry[0]/created_at", "<created-at>", "<created_at>"),
    ('<time-entries type="array"><time-entry><id type="integer">1</id></time-entry></time-entries>',
     "time-entries/time-entry[0]/created-at", "<created-at>", "missing"),
    ('<time-entries type="array"><time-entry><id type="integer">2</id>'
     '<created-at>2013-06-23T23:00:58+02:00</created-at></time-entry></time-entries>',
     "time-entries/time-entry[0]/id", "1", "2"),
    ('<time-entries type="array"></time-entries>', "time-entries", "1 items", "0 items"),
])
def test_first_difference_names_the_element(doc: str, path: str, expected: str, actual: str) -> None:
    want = xmlfmt.named_list("time_entries", "time_entry", [ITEM])
    assert _diff(want, doc) == xmlfmt.Difference(path, expected, actual)


def test_first_difference_of_single_resources() -> None:
    want = xmlfmt.named("time_entry", ITEM)
    assert _diff(want, xmlfmt.dumps("time_entry", ITEM)) is None
    assert _diff(want, xmlfmt.dumps("hash", ITEM)) == xmlfmt.Difference("hash", "<time-entry>", "<hash>")
    extra = ('<time-entry><id type="integer">1</id><created-at>2013-06-23T23:00:58+02:00</created-at>'
             '<x>1</x></time-entry>')
    assert _diff(want, extra) == xmlfmt.Difference("time-entry/x", "no such element", "<x>")
    flag = xmlfmt.named("s", {"billable": True, "rate": 12})
    assert _diff(flag, '<s><billable type="integer">1</billable><rate type="integer">12</rate></s>') == \
        xmlfmt.Difference("s/billable", "True", "1")
    assert _diff(flag, '<s><billable type="boolean">true</billable><rate type="float">12.0</rate></s>') is None
    assert _diff(flag, '<s><billable type="boolean">true</billable><rate>12</rate></s>') == \
        xmlfmt.Difference("s/rate", "12", "'12'")


@pytest.mark.parametrize("text", [
    "",
    "   ",
    "not xml at all",
    "<customer><name>x</customer>",
    '{"customer": {}}',
    '<n type="integer">one</n>',
    '<b type="boolean">yes</b>',
])
def test_malformed_input_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="XML|type="):
        xmlfmt.loads(text)
