"""Seeding over HTTP: ``POST /mockarray/api/seed`` takes the fixture document (YAML or
JSON) as ``mockarray seed`` does, with the same problems in the same words;
``GET /mockarray/api/fixture`` answers what was seeded, without secrets."""

from __future__ import annotations

import http.client
import json

import pytest
import yaml

from tests.support.api import CONTROL, PASSWORD, Api
from tests.support.checks import assert_error, ok
from tests.support.db import row_counts
from tests.support.lab import array_doc, standard_arrays, standard_server
from tests.support.live import Gunicorn

JSON = "application/json"
YAML = "application/yaml"


def standard_text() -> str:
    return yaml.safe_dump({"arrays": list(standard_arrays())}, sort_keys=False)


def bad_text() -> str:
    """The standard lab with three problems: a size, a reference and an iSCSI name."""
    server = standard_server()
    server["volumes"][0]["size"] = "100 parsecs"
    server["hosts"][0]["luns"][0]["volume"] = "no-such-volume"
    server["hosts"][1]["iqns"] = ["not an iqn"]
    return yaml.safe_dump({"arrays": [array_doc("alpha", 1, servers=[server])]})


def post_seed(client, body: str | bytes, content_type: str = YAML, **query):
    return client.post(
        f"{CONTROL}/seed",
        data=body,
        content_type=content_type,
        query_string=query,
        headers={"Accept": JSON},
    )


def array_names(client) -> list[str]:
    document = client.get(f"{CONTROL}/fixture", headers={"Accept": JSON})
    return [a["name"] for a in document.get_json()["arrays"]] if document.status_code == 200 else []


# -- a good fixture ------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [YAML, "application/x-yaml", "text/yaml", JSON])
def test_a_good_fixture_is_seeded_and_answered_as_the_cli_says(client, runner, content_type):
    text = standard_text()
    body = json.dumps(yaml.safe_load(text)) if content_type == JSON else text

    answer = ok(post_seed(client, body, content_type, source="lab.yaml"))

    assert answer == {
        "source": "lab.yaml",
        "arrays": ["alpha", "beta"],
        "volumes": 3,
        "loaded": True,
        "message": "Seeded 2 array(s) from lab.yaml: alpha, beta.",
    }
    api = Api.login(client, "alpha.lab.test")
    assert [v["name"] for v in ok(api.get("/server/0/volume"))["volumes"]] == [
        "vol1",
        "vol2",
        "vol1-clone",
    ]
    # The command line says the same of the same document.
    result = runner.invoke(args=["seed", "--replace", "-"], input=text)
    assert result.output == "Seeded 2 array(s) from <stdin>: alpha, beta.\n"


def test_check_validates_and_loads_nothing(client, database):
    answer = ok(post_seed(client, standard_text(), check="true"))
    assert answer["loaded"] is False and answer["arrays"] == ["alpha", "beta"]
    assert answer["message"] == "request body is a good fixture (nothing loaded): alpha, beta."
    assert row_counts(database)["array"] == 0


def test_if_empty_leaves_a_lab_that_holds_arrays_alone(client):
    ok(post_seed(client, standard_text()))
    other = yaml.safe_dump({"arrays": [array_doc("gamma", 3)]})
    answer = ok(post_seed(client, other, ifEmpty="true"))
    assert answer["loaded"] is False
    assert answer["message"] == "The lab already holds arrays; nothing seeded."
    assert array_names(client) == ["alpha", "beta"]


def test_more_arrays_are_added_to_the_lab_and_replace_starts_afresh(client):
    ok(post_seed(client, standard_text()))
    gamma = yaml.safe_dump({"arrays": [array_doc("gamma", 3)]})
    assert ok(post_seed(client, gamma))["arrays"] == ["gamma"]
    assert array_names(client) == ["alpha", "beta", "gamma"]

    assert ok(post_seed(client, gamma, replace="true", source="gamma.yaml"))["loaded"]
    assert array_names(client) == ["gamma"]


# -- a bad fixture -------------------------------------------------------------------------------


def test_a_bad_fixture_is_400_with_every_problem_in_the_cli_s_words(client, runner, database):
    before = row_counts(database)

    body = assert_error(post_seed(client, bad_text(), source="<stdin>"), 400)

    server = "arrays[0].servers[0]"
    assert set(body["errors"]) == {
        f"{server}.volumes[0].size",
        f"{server}.hosts[0].luns[0].volume",
        f"{server}.hosts[1].iqns[0]",
    }
    assert body["message"].startswith("<stdin>: 3 problem(s); nothing was loaded. ")
    assert row_counts(database) == before
    # `mockarray seed -` reports the same problems, each with the same words.
    cli = runner.invoke(args=["seed", "-"], input=bad_text())
    assert cli.exit_code == 1
    for path, messages in body["errors"].items():
        for message in messages:
            assert f"<stdin>: {path}: {message}" in cli.output
            assert f"{path}: {message}" in body["message"]
    assert "Error: <stdin>: 3 problem(s); nothing was loaded." in cli.output


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        ("arrays: [1, 2", YAML, "Not valid YAML"),
        ("- a list", YAML, "Expected a mapping with an 'arrays' list"),
        ("", YAML, "Expected a mapping"),
        ('{"arrays": [], "arrays": []}', JSON, "arrays"),
        ("{not json", JSON, "Not valid JSON"),
        (b"arrays: []\n# \xff", YAML, "not UTF-8"),
    ],
    ids=["broken yaml", "a list", "empty", "repeated key", "broken json", "not utf-8"],
)
def test_a_body_that_is_no_fixture_document_is_400(client, database, body, content_type, fragment):
    assert_error(post_seed(client, body, content_type), 400, fragment)
    assert row_counts(database)["lab_fixture"] == 0


def test_an_array_the_lab_has_is_409_and_changes_nothing(client, database):
    ok(post_seed(client, standard_text()))
    before = row_counts(database)
    body = assert_error(post_seed(client, standard_text()), 409, "replace=true")
    assert set(body["errors"]) == {"arrays[0].name", "arrays[1].name"}
    assert "An array with name 'alpha' already exists" in body["errors"]["arrays[0].name"][0]
    assert row_counts(database) == before


def test_a_clash_and_a_bad_value_together_are_400(client):
    ok(post_seed(client, standard_text()))
    again = yaml.safe_dump({"arrays": [array_doc("alpha", 1, port=0)]})
    body = assert_error(post_seed(client, again), 400)
    assert set(body["errors"]) == {"arrays[0].port"}
    clash_and_bad = yaml.safe_dump(
        {"arrays": [array_doc("alpha", 1), array_doc("delta", 4, port=0)]}
    )
    body = assert_error(post_seed(client, clash_and_bad), 400)
    assert set(body["errors"]) == {"arrays[0].name", "arrays[1].port"}


def test_a_bad_fixture_with_replace_keeps_the_lab(client, database):
    ok(post_seed(client, standard_text()))
    before = row_counts(database)
    assert_error(post_seed(client, bad_text(), replace="true"), 400)
    assert row_counts(database) == before
    assert array_names(client) == ["alpha", "beta"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_a_web_page_could_send_is_415(client, database, content_type):
    response = post_seed(client, standard_text(), content_type)
    assert_error(response, 415, "Content-Type: application/json", "application/yaml")
    assert row_counts(database)["array"] == 0


def test_a_yaml_fixture_from_a_foreign_origin_is_403(client, database):
    response = client.post(
        f"{CONTROL}/seed",
        data=standard_text(),
        content_type=YAML,
        headers={"Accept": JSON, "Origin": "http://evil.example"},
    )
    assert_error(response, 403, "Origin")
    assert row_counts(database)["array"] == 0


def test_yaml_is_taken_on_the_seed_route_only(client):
    response = client.post(
        f"{CONTROL}/faults", data="status: 503", content_type=YAML, headers={"Accept": JSON}
    )
    assert_error(response, 415, "Content-Type: application/json")


# -- body size -----------------------------------------------------------------------------------


def test_a_fixture_may_be_larger_than_other_bodies(app, client):
    """Other bodies stop at MOCKARRAY_MAX_BODY_BYTES; a fixture at MOCKARRAY_MAX_FIXTURE_BYTES."""
    app.config["MAX_CONTENT_LENGTH"] = 1000
    text = standard_text()
    assert len(text.encode()) > 1000
    ok(post_seed(client, text))
    response = client.post(
        f"{CONTROL}/checkpoints", json={"name": "x" * 1100}, headers={"Accept": JSON}
    )
    assert_error(response, 413, "1000 B")


def test_a_fixture_larger_than_max_fixture_bytes_is_413(app, client, database):
    app.config["MAX_FIXTURE_BYTES"] = 1024
    response = post_seed(client, standard_text())
    assert_error(response, 413, "1 KiB")
    assert row_counts(database)["array"] == 0


# -- what was seeded -----------------------------------------------------------------------------


def test_nothing_seeded_is_404(client):
    assert_error(client.get(f"{CONTROL}/fixture", headers={"Accept": JSON}), 404, "seed")


def test_the_fixture_is_answered_without_secrets(client):
    text = standard_text()
    ok(post_seed(client, text))
    gamma = array_doc("gamma", 3)
    ok(post_seed(client, yaml.safe_dump({"arrays": [gamma]})))

    response = client.get(f"{CONTROL}/fixture", headers={"Accept": JSON})

    expected = [*yaml.safe_load(text)["arrays"], gamma]
    for array in expected:
        del array["password"]
    assert ok(response) == {"arrays": expected}
    raw = response.get_data(as_text=True)
    assert PASSWORD not in raw and "password" not in raw.lower()


@pytest.mark.parametrize("accept", [YAML, "text/yaml", "application/x-yaml"])
def test_the_fixture_is_answered_in_yaml_when_asked(client, accept):
    ok(post_seed(client, standard_text()))
    as_json = ok(client.get(f"{CONTROL}/fixture", headers={"Accept": JSON}))
    response = client.get(f"{CONTROL}/fixture", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept
    assert yaml.safe_load(response.get_data(as_text=True)) == as_json
    # What was seeded can be seeded again, once given its passwords.
    for array in as_json["arrays"]:
        array["password"] = PASSWORD
    reseeded = ok(post_seed(client, json.dumps(as_json), JSON, replace="true"))
    assert reseeded["arrays"] == ["alpha", "beta"]


def test_reset_empty_forgets_the_fixture(client):
    ok(post_seed(client, standard_text()))
    ok(client.post(f"{CONTROL}/reset", json={"empty": True}, headers={"Accept": JSON}))
    assert_error(client.get(f"{CONTROL}/fixture", headers={"Accept": JSON}), 404)


# -- the document --------------------------------------------------------------------------------


def test_the_openapi_document_describes_both_media_types(client):
    document = ok(client.get(f"{CONTROL}/openapi.json"))
    seed = document["paths"][f"{CONTROL}/seed"]["post"]
    assert set(seed["requestBody"]["content"]) == {JSON, YAML}
    assert {"replace", "check", "ifEmpty", "source"} <= {p["name"] for p in seed["parameters"]}
    assert {"200", "400", "409", "413", "415"} <= set(seed["responses"])
    fixture = document["paths"][f"{CONTROL}/fixture"]["get"]
    assert set(fixture["responses"]["200"]["content"]) == {JSON, YAML}
    assert "404" in fixture["responses"]


# -- through gunicorn ----------------------------------------------------------------------------


def raw_post(port: int, path: str, body: bytes, content_type: str):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Accept": JSON, "Content-Type": content_type}
        connection.request("POST", CONTROL + path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.live
def test_through_gunicorn_a_fixture_larger_than_other_bodies_is_seeded(
    migrated, database, tmp_path
):
    """A fixture of 2 MiB (here mostly a YAML comment) passes where another body
    of that size is 413; a reset then keeps the volumes' ids. (``database``: the
    worker's app empties the lab the server shares, after the test.)"""
    padding = "# " + "x" * (2 * 2**20) + "\n"
    big = (standard_text() + padding).encode()
    server = Gunicorn(migrated, tmp_path / "live", workers=1).start()
    try:
        status, answer = raw_post(server.port, "/seed?replace=true", big, YAML)
        assert status == 200, answer
        assert answer["arrays"] == ["alpha", "beta"]
        status, answer = raw_post(
            server.port, "/faults", b'{"x": "' + padding.encode() + b'"}', JSON
        )
        assert status == 413 and "1 MiB" in answer["message"], answer

        session = server.login()
        status, before = server.call("GET", "/server/0/volume", headers=session)
        assert status == 200, before
        status, reset = raw_post(server.port, "/reset", b"{}", JSON)
        assert status == 200 and reset == {"arrays": ["alpha", "beta"]}, reset
        status, after = server.call("GET", "/server/0/volume", headers=server.login())
        assert after == before
    finally:
        server.discard()
