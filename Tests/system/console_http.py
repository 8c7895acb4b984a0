"""The relay's web console over HTTPS as a browser talks to it, without a browser: requests
with cookies and forms (redirects not followed), the cookies an answer sets, a page's
anti-forgery token, and signing in with a password or an API key. For the system tests and
scripts/bench_console.py."""
import http.client
import re
import urllib.parse


def call(port: int, context, method: str, path: str, form=None, cookies=None, headers=None, timeout=10):
    """(status, headers, text) of one request to 127.0.0.1:`port`; status 0 when unreachable."""
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=timeout)
    all_headers = dict(headers or {})
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookies:
        all_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    try:
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    except (OSError, http.client.HTTPException):
        return 0, {}, ""
    finally:
        connection.close()


def cookie_value(headers, name) -> str:
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith(name + "="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no {name} cookie set: {headers}")


def form_token(html) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def sign_in(port: int, context, user="", password="", api_key="", timeout=10) -> dict:
    """Signs in as the sign-in form does (its token and cookie, then the form): the session's
    cookies."""
    status, headers, text = call(port, context, "GET", "/console/sign-in", timeout=timeout)
    assert status == 200, text
    signin = {"tunnel_console_signin": cookie_value(headers, "tunnel_console_signin")}
    form = {"csrf": form_token(text), "user": user, "password": password}
    if api_key:
        form = {"csrf": form["csrf"], "apiKey": api_key}
    status, headers, text = call(port, context, "POST", "/console/sign-in", form, cookies=signin, timeout=timeout)
    assert status == 303, f"sign-in of {user or 'an API key'}: {status} {text[:500]}"
    return {"tunnel_console": cookie_value(headers, "tunnel_console")}
