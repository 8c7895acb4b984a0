"""The gateway's local admin page in a real headless Chromium: sign-in with the passkey, what a
technician sees, editing settings.json with the agent's own checks, secrets that never reach
the browser, the inactivity timeout and the sign-in limit. Real agent, relay, simulated BMS and
mosquitto."""
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import time

import pytest

from mqtt_fixtures import read, wait_for
from ports import free_port
from peers import import_peer, missing_peer

webdriver = import_peer("selenium.webdriver", "Selenium (Debian python3-selenium) drives the browser")
By = import_peer("selenium.webdriver.common.by", "Selenium (Debian python3-selenium)").By
exceptions = import_peer("selenium.common.exceptions", "Selenium (Debian python3-selenium)")
StaleElementReferenceException, WebDriverException = exceptions.StaleElementReferenceException, exceptions.WebDriverException
ChromeService = import_peer("selenium.webdriver.chrome.service", "Selenium (Debian python3-selenium)").Service

PASSKEY = "pk-SECRET-local-7"
MQTT_PASSWORD = "mqtt-SECRET-pw-8"
TIMEOUT = 6


@pytest.fixture
def browser():
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        missing_peer("Chromium and its driver are not installed (Debian chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                     "--disable-gpu", "--no-first-run"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=ChromeService(executable_path=shutil.which("chromedriver")),
                              options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


@pytest.fixture
def gateway(system, tmp_path):
    """An agent with the admin page on a port of its own, its relay, BMS and broker."""
    bundle = system.device("pack-1")
    system.start_relay()
    broker = system.broker()
    port = free_port()
    settings = system.settings(bundle, {"uri": f"mqtt://127.0.0.1:{broker.port}", "username": "gw",
                                        "password": MQTT_PASSWORD}, serial_device=system.start_sim())
    document = json.loads(settings.read_text())
    document["wifi"] = {"admin_page": {"enabled": True, "timeout": TIMEOUT, "passkey": PASSKEY,
                                       "listen": f"127.0.0.1:{port}"}}
    settings.write_text(json.dumps(document, indent=2))
    agent = system.agent(settings, tmp_path / "state")
    agent.wait_log("Admin page certificate made")
    agent.wait_log("Connected to relay")
    wait_for("the admin page to listen", lambda: _listening(port), detail=lambda: agent.log_text()[-3000:])
    return agent, f"https://127.0.0.1:{port}", port


def _listening(port) -> bool:
    try:
        ssl.get_server_certificate(("127.0.0.1", port), timeout=2)
        return True
    except OSError:
        return False


def click_and_wait(browser, element_id):
    """Clicks a form's button and waits for the page it leads to."""
    button = browser.find_element(By.ID, element_id)
    button.click()

    def gone():
        try:
            button.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException:
            return False  # the browser is between the two pages
    wait_for(f"the page after {element_id}", gone, timeout=15)


def sign_in(browser, url, passkey=PASSKEY):
    browser.get(url + "/")
    browser.find_element(By.ID, "passkey").send_keys(passkey)
    click_and_wait(browser, "sign-in")


def test_a_technician_signs_in_sees_the_gateway_and_edits_its_settings(system, gateway, browser):
    agent, url, port = gateway

    # The certificate the browser gets is the one the log and `tunnel-agent status` name.
    served = hashlib.sha256(ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", port)))).hexdigest()
    fingerprint = ":".join(served[i:i + 2] for i in range(0, 64, 2)).upper()
    assert fingerprint in agent.log_text()
    status = subprocess.run([str(system.bin / "tunnel-agent"), "status", "--config", str(agent.settings),
                             "--state-dir", str(agent.state)], capture_output=True, text=True, timeout=30)
    assert fingerprint in status.stdout and "agent: running" in status.stdout, status.stdout + status.stderr

    sign_in(browser, url, "not-the-passkey")
    assert "Wrong passkey" in browser.find_element(By.ID, "message").text
    sign_in(browser, url)
    assert "tunnel-agent on this gateway" in browser.page_source

    def status_page_has_telemetry():
        browser.get(url + "/")
        return "soc" in browser.find_element(By.ID, "telemetry").text
    wait_for("telemetry on the status page", status_page_has_telemetry, timeout=30)
    page = browser.page_source
    assert "<td>0 valid" not in page, "the BMS's sentences are counted"
    for shown in ["connected", "Records waiting", "Sentences since the line opened", str(agent.settings), "Agent started", fingerprint]:
        assert shown in page, f"the status page shows {shown}"
    assert PASSKEY not in page and MQTT_PASSWORD not in page

    # The editor shows the file in effect with its secrets masked.
    browser.get(url + "/edit/settings.json")
    text = browser.find_element(By.ID, "text").get_attribute("value")
    shown = json.loads(text)
    assert shown["mqtt"]["password"] == "***" and shown["wifi"]["admin_page"]["passkey"] == "***"
    assert MQTT_PASSWORD not in browser.page_source and PASSKEY not in browser.page_source

    def submit(document):
        area = browser.find_element(By.ID, "text")
        area.clear()
        area.send_keys(json.dumps(document, indent=1))
        click_and_wait(browser, "save")

    # A wrong value is refused with its JSON path, and nothing changes.
    wrong = json.loads(text)
    wrong["serial"]["speed"] = "fast"
    submit(wrong)
    problems = browser.find_element(By.ID, "problems").text
    assert "$.serial.speed" in problems, problems
    # The tunnel section is local-only here as for the portal.
    moved = json.loads(text)
    moved["tunnel"]["relay"] = "127.0.0.1:1"
    submit(moved)
    assert "$.tunnel" in browser.find_element(By.ID, "problems").text
    assert not (agent.state / "settings.json").exists(), "nothing refused was stored"

    # A good change is stored with the secrets it kept masked, and the agent restarts with it.
    good = json.loads(text)
    good["mqtt"]["attr_send_period"] = 7
    submit(good)
    assert "Saved and in effect" in browser.find_element(By.ID, "notice").text
    stored = json.loads((agent.state / "settings.json").read_text())
    assert stored["mqtt"]["attr_send_period"] == 7
    assert stored["mqtt"]["password"] == MQTT_PASSWORD, "a masked secret is kept, not replaced by the mask"
    assert stored["wifi"]["admin_page"]["passkey"] == PASSKEY
    agent.wait_log("Agent services restarting")
    wait_for("the admin page after the restart", lambda: _listening(port), detail=lambda: agent.log_text()[-3000:])

    # Signed out by the button; then by inactivity.
    sign_in(browser, url)
    click_and_wait(browser, "sign-out")
    assert browser.find_elements(By.ID, "passkey"), "signed out"
    sign_in(browser, url)
    assert "tunnel-agent on this gateway" in browser.page_source
    time.sleep(TIMEOUT + 1.5)
    browser.get(url + "/")
    assert browser.find_elements(By.ID, "passkey"), f"signed out after {TIMEOUT} s without a request"


def test_sign_in_failures_are_limited(gateway, browser):
    _, url, _ = gateway
    for _ in range(5):
        sign_in(browser, url, "guess")
        assert "Wrong passkey" in browser.find_element(By.ID, "message").text
    sign_in(browser, url)  # even the right passkey waits now
    assert "Too many failed sign-ins" in browser.find_element(By.ID, "message").text
    assert not browser.find_elements(By.ID, "sign-out")
