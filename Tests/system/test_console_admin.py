"""The console's administration pages (docs/CONSOLE.md, issue #17) against a real relay, in a
real headless Chromium: an administrator adds a customer and a user, creates the user's API key
(shown once; it works against the admin API until revoked with a confirmation), registers a
device whose downloaded bundle a real agent connects with, then resets and moves it, each
confirmed; engineers and viewers are refused every one of these even with a valid form."""
import base64
import html
import io
import json
import re
import tarfile

import pytest

from mqtt_fixtures import read, wait_for
from test_console import (PASSWORDS, Relay, browser, browser_sign_in, form_token,  # noqa: F401 (browser is a fixture)
                          while_page_changes)

By = pytest.importorskip("selenium.webdriver.common.by").By
Select = pytest.importorskip("selenium.webdriver.support.select").Select


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    relay = Relay(tmp_path_factory.mktemp("console-admin")).start()
    yield relay
    relay.stop()
    print(read(relay.log)[-4000:])


def bearer(relay, key, path="/v1/me"):
    return relay.call("GET", path, headers={"Authorization": f"Bearer {key}"})


def text_of(browser, selector) -> str:
    """The text of the first element matching `selector`, or "" while the page is changing."""
    def read():
        found = browser.find_elements(By.CSS_SELECTOR, selector)
        return found[0].text if found else ""
    return while_page_changes(read)


def submit(browser, form_id, **fields):
    form = browser.find_element(By.ID, form_id)
    for name, value in fields.items():
        element = form.find_element(By.NAME, name)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def test_an_administrator_adds_a_customer_a_user_and_a_key_that_is_shown_once(relay, browser):
    browser_sign_in(browser, relay, "boss")
    browser.find_element(By.LINK_TEXT, "Admin").click()
    wait_for("the administration page", lambda: browser.find_elements(By.ID, "add-customer"), timeout=10)
    submit(browser, "add-customer", id="gamma", name="<b>Gamma</b> & sons")
    wait_for("gamma listed", lambda: text_of(browser, 'tr[data-customer-id="gamma"] td:nth-child(2)'), timeout=10)
    assert text_of(browser, 'tr[data-customer-id="gamma"] td:nth-child(2)') == "<b>Gamma</b> & sons", "a name is shown as text"
    submit(browser, "add-user", id="gia", role="engineer", customers="gamma")
    wait_for("gia's page", lambda: "User gia" in text_of(browser, "h1"), timeout=10)
    assert "gamma" in browser.page_source and "none (signs in with an API key)" in browser.page_source
    submit(browser, "create-key", name="laptop")
    key = wait_for("the new key", lambda: text_of(browser, "#new-key"), timeout=10)
    assert re.fullmatch(r"ak1\.[0-9a-f]+\.\S+", key), key
    status, _, text = bearer(relay, key)
    assert status == 200 and json.loads(text)["id"] == "gia", (status, text)

    # The user's page lists the key, never its secret; revoking it needs the box ticked.
    browser.get(relay.url + "/console/admin/users/gia")
    key_id = key.split(".")[1]
    assert key.split(".")[2] not in browser.page_source
    revoke = browser.find_element(By.CSS_SELECTOR, f'tr[data-key-id="{key_id}"] form')
    cookies, token = relay.sign_in("boss", PASSWORDS["boss"])
    status, _, text = relay.call("POST", f"/console/admin/keys/{key_id}/revoke", {"csrf": token}, cookies=cookies)
    assert status == 400 and "Yes, revoke this key" in html.unescape(text), (status, text)
    assert bearer(relay, key)[0] == 200, "an unconfirmed revoke changed nothing"
    revoke.find_element(By.NAME, "confirm").click()
    revoke.find_element(By.TAG_NAME, "button").click()
    wait_for("the key revoked", lambda: bearer(relay, key)[0] == 401, timeout=10)
    audit = relay.api("/v1/audit?limit=100")
    assert {entry["event"] for entry in audit if entry.get("actor") == "console:boss"} >= {
        "customer.added", "user.added", "api_key.created", "api_key.revoked"}, audit[-10:]


def test_wrong_values_are_refused_with_what_was_wrong(relay):
    cookies, token = relay.sign_in("boss", PASSWORDS["boss"])
    cases = [
        ("/console/admin/customers", {"id": "acme"}, 409, 'customer "acme" already exists'),
        ("/console/admin/customers", {"id": "no spaces"}, 400, "customer ID"),
        ("/console/admin/users", {"id": "x y", "role": "viewer", "customers": "acme"}, 400, "user ID"),
        ("/console/admin/users", {"id": "zed", "role": "root", "customers": "acme"}, 400, "role: expected one of"),
        ("/console/admin/users", {"id": "zed", "role": "viewer"}, 400, "needs at least one customer"),
        ("/console/admin/users", {"id": "zed", "role": "viewer", "customers": "nobody"}, 400, 'no customer "nobody"'),
        ("/console/admin/users/nobody/keys", {}, 404, "no user nobody"),
        ("/console/admin/devices", {"id": "../etc"}, 400, "device ID"),
        ("/console/devices/p1/move", {"customer": "beta"}, 400, "Yes, move this device"),
        ("/console/devices/p1/move", {"customer": "nobody", "confirm": "yes"}, 404, 'customer "nobody" does not exist'),
    ]
    for path, form, status, words in cases:
        got, _, text = relay.call("POST", path, dict(form, csrf=token), cookies=cookies)
        assert got == status and words in html.unescape(text), (path, form, got, text[-600:])
    assert relay.api("/v1/devices/p1")["customer"] == "acme"


def test_a_registered_devices_bundle_connects_its_agent_then_reset_and_move_take_effect(relay, browser, tmp_path):
    browser_sign_in(browser, relay, "boss")
    browser.get(relay.url + "/console/admin")
    submit(browser, "add-device", id="g1", customer="acme")
    link = wait_for("the bundle link", lambda: browser.find_elements(By.ID, "bundle-download"), timeout=10)[0]
    href = link.get_attribute("href")
    assert href.startswith("data:application/gzip;base64,") and link.get_attribute("download") == "g1-bundle.tar.gz"
    assert f'"relay": "127.0.0.1:{relay.port}"' in browser.find_element(By.TAG_NAME, "main").text
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(href.split(",", 1)[1])), mode="r:gz") as archive:
        names = sorted(archive.getnames())
        assert names == ["tunnel-agent-bundle", "tunnel-agent-bundle/device-key.pem", "tunnel-agent-bundle/device.pem",
                         "tunnel-agent-bundle/relay-ca.pem"], names
        (tmp_path / "tunnel-agent-bundle").mkdir()
        for member in archive.getmembers():
            if member.isfile():
                (tmp_path / member.name).write_bytes(archive.extractfile(member).read())
    assert relay.api("/v1/devices/g1")["state"] == "registered"
    assert not list((relay.folder).glob("**/g1*")), "the relay kept no copy of the bundle"

    # A real agent connects with what was downloaded.
    bundle = tmp_path / "tunnel-agent-bundle"
    (bundle / "settings.json").write_text(json.dumps({
        "serial": {"device": str(tmp_path / "none")},
        "tunnel": {"relay": f"127.0.0.1:{relay.port}", "cert": "device.pem", "key": "device-key.pem", "ca": "relay-ca.pem",
                   "reconnect_max": 1}}))
    relay.processes.start([relay.bin / "tunnel-agent", "run", "--config", bundle / "settings.json", "--state-dir",
                           tmp_path / "state"], tmp_path / "agent.log")
    wait_for("g1 online", lambda: relay.api("/v1/devices/g1").get("online"), timeout=30,
             detail=lambda: read(tmp_path / "agent.log"))

    # Registering it again is refused until it is reset; the reset, confirmed, cuts the agent.
    cookies, token = relay.sign_in("boss", PASSWORDS["boss"])
    status, _, text = relay.call("POST", "/console/admin/devices", {"csrf": token, "id": "g1"}, cookies=cookies)
    assert status == 409 and "must reset it" in html.unescape(text), (status, text[-500:])
    browser.get(relay.url + "/console/devices/g1")
    browser.find_element(By.CSS_SELECTOR, "details.manage summary").click()
    form = browser.find_element(By.ID, "reset-device")
    form.find_element(By.NAME, "confirm").click()
    form.find_element(By.TAG_NAME, "button").click()
    wait_for("g1 reset and offline", lambda: relay.api("/v1/devices/g1")["state"] == "reset"
             and not relay.api("/v1/devices/g1").get("online"), timeout=15,
             detail=lambda: f'{relay.api("/v1/devices/g1")}\n{browser.page_source[-1500:]}\n{read(tmp_path / "agent.log")[-1500:]}')

    # Moved to beta, confirmed: acme's viewer no longer sees it.
    cookies, _ = relay.sign_in("vic", PASSWORDS["vic"])
    assert relay.call("GET", "/console/devices/g1", cookies=cookies)[0] == 200
    browser.get(relay.url + "/console/devices/g1")
    browser.find_element(By.CSS_SELECTOR, "details.manage summary").click()
    form = browser.find_element(By.ID, "move-device")
    Select(form.find_element(By.NAME, "customer")).select_by_value("beta")
    form.find_element(By.NAME, "confirm").click()
    form.find_element(By.TAG_NAME, "button").click()
    wait_for("g1 moved", lambda: relay.api("/v1/devices/g1")["customer"] == "beta", timeout=10)
    assert relay.call("GET", "/console/devices/g1", cookies=cookies)[0] == 404


def test_only_administrators_manage_even_with_a_valid_form(relay):
    relay.cli("user", "add", "ed", "--role", "engineer", "--customer", "acme")
    relay.cli("user", "passwd", "ed", stdin="engineer-password-000\n")
    for user, password in [("vic", PASSWORDS["vic"]), ("ed", "engineer-password-000")]:
        cookies, token = relay.sign_in(user, password)
        page = relay.call("GET", "/console/devices/p1", cookies=cookies)[2]
        assert "Manage this device" not in page and 'href="/console/admin"' not in page
        assert relay.call("GET", "/console/admin", cookies=cookies)[0] == 403
        assert relay.call("GET", "/console/admin/users/boss", cookies=cookies)[0] == 403
        for path, form in [("/console/admin/customers", {"id": "evil"}),
                           ("/console/admin/users", {"id": "evil", "role": "admin"}),
                           ("/console/admin/users/boss/keys", {"name": "stolen"}),
                           ("/console/admin/devices", {"id": "evil"}),
                           ("/console/devices/p1/reset", {"confirm": "yes"}),
                           ("/console/devices/p1/move", {"customer": "beta", "confirm": "yes"}),
                           ("/console/devices/p1/revoke", {"confirm": "yes"})]:
            status, _, text = relay.call("POST", path, dict(form, csrf=token), cookies=cookies)
            assert status == 403 and "only an administrator" in text, (user, path, status, text[-400:])
    assert "evil" not in relay.cli("customer", "list") and "evil" not in relay.cli("user", "list")
    assert "stolen" not in relay.cli("key", "list")
    device = relay.api("/v1/devices/p1")
    assert device["state"] == "registered" and device["customer"] == "acme"


def test_an_administrator_changes_another_users_role_and_customers_but_not_their_own(relay):
    relay.cli("user", "add", "zoe", "--role", "viewer", "--customer", "acme")
    key = next(word for word in relay.cli("key", "create", "--user", "zoe").split() if word.startswith("ak1."))

    def me():
        status, _, text = relay.call("GET", "/v1/me", headers={"Authorization": f"Bearer {key}"})
        assert status == 200, text
        return json.loads(text)
    assert me()["role"] == "viewer"
    cookies, token = relay.sign_in("boss", PASSWORDS["boss"])
    form = {"csrf": token, "role": "engineer", "customers": "acme beta"}
    status, _, text = relay.call("POST", "/console/admin/users/zoe/change", form, cookies=cookies)
    assert status == 400 and "Yes, change this user" in html.unescape(text), (status, text[-500:])
    assert me()["role"] == "viewer"
    status, headers, _ = relay.call("POST", "/console/admin/users/zoe/change", dict(form, confirm="yes"), cookies=cookies)
    assert status == 303 and headers["Location"] == "/console/admin/users/zoe"
    changed = me()
    assert changed["role"] == "engineer" and changed["customers"] == ["acme", "beta"], changed
    # Nobody changes their own role here; the command line does it too.
    status, _, text = relay.call("POST", "/console/admin/users/boss/change", {"csrf": token, "role": "viewer",
                                                                               "customers": "acme", "confirm": "yes"}, cookies=cookies)
    assert status == 403 and "your own role" in html.unescape(text), (status, text[-500:])
    assert 'id="change-user"' not in relay.call("GET", "/console/admin/users/boss", cookies=cookies)[2]
    assert "zoe is now viewer of acme" in relay.cli("user", "set", "zoe", "--role", "viewer", "--customer", "acme")
    assert me()["role"] == "viewer"
    audit = relay.api("/v1/audit?userId=zoe")
    assert [e["actor"] for e in audit if e["event"] == "user.changed"] == ["console:boss", "cli"], audit
