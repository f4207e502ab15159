"""The mite schemas accept what mite really sends.

Bodies copied verbatim from real traffic (jeromegamez/mite-php's VCR fixtures, recorded against
beste.mite.de in 2023; ../shared/providers/mite.md §6) and from mite's documentation examples
(§12). A schema that rejects one of them is wrong, not the API.
"""
from __future__ import annotations

import json

import pytest

from apiconform.contract.model import load_contract
from apiconform.contract.schemas import listed, load_schema, problems, wrapped
from apiconform.paths import contract_path

CONTRACT = load_contract(contract_path("mite"))

REAL = [  # (resource, list?, body)
    ("account", False, '{"account":{"created_at":"2023-02-20T13:29:46+01:00","currency":"EUR","id":117789,"name":"beste",'
                       '"title":"Beste","updated_at":"2023-02-21T13:10:11+01:00"}}'),
    ("myself", False, '{"user":{"created_at":"2023-02-20T13:29:46+01:00","email":"jerome@gamez.name","id":222125,'
                      '"name":"J\\u00e9r\\u00f4me Gamez","note":"","updated_at":"2023-06-08T13:13:34+02:00",'
                      '"archived":false,"language":"de","role":"owner"}}'),
    ("customers", False, '{"customer":{"created_at":"2023-06-08T13:19:36+02:00","hourly_rate":0,"id":704820,'
                         '"name":"CustomerTest","note":"","updated_at":"2023-06-08T13:19:36+02:00","archived":false,'
                         '"active_hourly_rate":null,"hourly_rates_per_service":[]}}'),
    ("customers", True, '[{"customer":{"created_at":"2023-06-08T13:19:36+02:00","hourly_rate":0,"id":704820,'
                        '"name":"CustomerTest","note":"it_can_be_updated","updated_at":"2023-06-08T13:19:36+02:00",'
                        '"archived":false,"active_hourly_rate":null,"hourly_rates_per_service":[]}}]'),
]
DOCS = [
    ("users", False, '{"user":{"id":2453,"name":"Susan Smart","email":"smart@email.com","note":"",'
                     '"created_at":"2013-06-23T23:00:58+02:00","updated_at":"2015-02-14T00:33:26+01:00",'
                     '"archived":false,"language":"en","role":"admin"}}'),
    ("customers", False, '{"customer":{"id":643,"name":"Acme","note":"Difficult.","active_hourly_rate":"hourly_rate",'
                         '"hourly_rate":6000,"archived":false,"hourly_rates_per_service":[{"service_id":31272,'
                         '"hourly_rate":4500},{"service_id":149228,"hourly_rate":5500}],'
                         '"created_at":"2011-08-17T12:06:57+02:00","updated_at":"2015-02-19T10:53:10+01:00"}}'),
    ("projects", False, '{"project":{"id":643,"name":"Open-Source","note":"valvat, memento et all.","customer_id":291,'
                        '"customer_name":"Yolk","budget":0,"budget_type":"minutes","hourly_rate":6000,"archived":false,'
                        '"active_hourly_rate":"hourly_rate","hourly_rates_per_service":[{"service_id":31272,'
                        '"hourly_rate":4500},{"service_id":149228,"hourly_rate":5500}],'
                        '"created_at":"2011-08-17T12:06:57+02:00","updated_at":"2015-02-19T10:53:10+01:00"}}'),
    ("services", False, '{"service":{"id":38672,"name":"Coding","note":"","hourly_rate":3300,"archived":false,'
                        '"billable":true,"created_at":"2009-12-13T12:12:00+01:00","updated_at":"2015-12-13T07:20:04+01:00"}}'),
    ("time_entries", False, '{"time_entry":{"id":36159117,"minutes":15,"date_at":"2015-10-16","note":"Feedback einarbeiten",'
                            '"billable":true,"locked":false,"revenue":null,"hourly_rate":0,"user_id":211,'
                            '"user_name":"Fridolin Frei","project_id":88309,"project_name":"API v2","customer_id":3213,'
                            '"customer_name":"K\\u00f6nig","service_id":12984,"service_name":"Entwurf",'
                            '"created_at":"2015-10-16T12:19:00+02:00","updated_at":"2015-10-16T12:39:00+02:00"}}'),
    ("time_entries", False, '{"time_entry":{"id":52324,"minutes":185,"date_at":"2015-9-12","note":"","billable":true,'
                            '"locked":false,"revenue":null,"hourly_rate":0,"user_id":211,"user_name":"Fridolin Frei",'
                            '"project_id":null,"project_name":null,"customer_id":null,"customer_name":null,'
                            '"service_id":null,"service_name":null,"created_at":"2015-09-13T18:54:45+02:00",'
                            '"updated_at":"2015-09-13T18:54:45+02:00"}}'),
    ("tracker", False, '{"tracker":{"tracking_time_entry":{"id":36135321,"minutes":247,'
                       '"since":"2015-10-15T17:05:04+02:00"}}}'),
    ("tracker", False, '{"tracker":{"tracking_time_entry":{"id":36135322,"minutes":0,"since":"2015-10-15T17:33:52+02:00"},'
                       '"stopped_time_entry":{"id":36134329,"minutes":46}}}'),
    ("tracker", False, '{"tracker":{"stopped_time_entry":{"id":36135322,"minutes":4}}}'),
    ("tracker", False, '{"tracker":{}}'),
]
ERRORS = ['{"error":"Whoops! We couldn\'t find your account \'unknown\'."}',
          '{"error":"Access denied. Please check your credentials."}', '{"error":"Please name your project."}',
          '{"error":"Bitte gib dem Projekt einen Namen."}', '{"error":"The record does not exist."}']


@pytest.mark.parametrize("res,many,body", REAL + DOCS, ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None)
def test_real_and_documented_bodies_match_the_schemas(res, many, body):
    resource = CONTRACT.resources[res]
    schema = load_schema("mite", resource.schema)
    check = listed(resource.root, schema) if many else wrapped(resource.root, schema)
    assert problems(json.loads(body), check) == []


@pytest.mark.parametrize("body", ERRORS)
def test_documented_error_bodies_match_the_error_schema(body):
    assert problems(json.loads(body), load_schema("mite", CONTRACT.errors["json"])) == []
