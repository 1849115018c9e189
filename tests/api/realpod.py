"""Helpers for driving a running pod's client API the way real apps do.

`authorize_in_browser` plays the person in the browser during the OAuth
authorization-code flow: a WebSession (logged in to the pod's web pages) opens the
authorize URL an app built, reads the consent form and approves it, and returns the
code the app would receive (from the redirect, or from the out-of-band page).
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urljoin, urlsplit

from tests.harness.pod import WebSession

_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
_ATTR = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')
_INPUT = re.compile(r"<(input|button)\b([^>]*)>", re.I)


def _attrs(tag: str) -> dict[str, str]:
    return {name.lower(): html.unescape(value) for name, value in _ATTR.findall(tag)}


def consent_form(page: str) -> tuple[str, dict[str, list[str]]]:
    """The consent form's action and the fields a browser would send when approving."""
    for form_attrs, body in _FORM.findall(page):
        attrs = _attrs(form_attrs)
        if attrs.get("method", "get").lower() != "post":
            continue
        fields: dict[str, list[str]] = {}
        approve: tuple[str, str] | None = None
        for kind, tag in _INPUT.findall(body):
            field = _attrs(tag)
            name = field.get("name")
            if not name:
                continue
            input_type = field.get("type", "submit" if kind.lower() == "button" else "text").lower()
            if input_type == "submit":
                label = f"{name} {field.get('value', '')}".lower()
                if approve is None and re.search(r"allow|authori[sz]e|approve|accept", label):
                    approve = (name, field.get("value", ""))
                continue
            if input_type in ("checkbox", "radio") and "checked" not in tag.lower():
                continue
            fields.setdefault(name, []).append(field.get("value", ""))
        if approve is not None:  # the page has other forms (search, log out): take the approving one
            fields[approve[0]] = [approve[1]]
            return attrs.get("action", ""), fields
    raise AssertionError(f"no consent form on the authorize page:\n{page[:3000]}")


def authorize_in_browser(session: WebSession, authorize_url: str) -> str:
    """Open `authorize_url` as the logged-in person, approve, and return the authorization code."""
    response = session.client.get(authorize_url)
    assert response.status_code == 200, f"authorize page answered {response.status_code}: {response.text[:1000]}"
    action, fields = consent_form(response.text)
    target = urljoin(str(response.url), action) if action else str(response.url)
    answer = session.client.post(target, data=fields, headers={"Referer": str(response.url)})
    if answer.status_code in (301, 302, 303):
        location = answer.headers["location"]
        code = parse_qs(urlsplit(location).query).get("code")
        assert code, f"the redirect carries no code: {location}"
        return code[0]
    assert answer.status_code == 200, f"approving answered {answer.status_code}: {answer.text[:1000]}"
    # Out-of-band: the page shows the code for the person to paste into the app.
    shown = [_attrs(tag).get("value", "") for kind, tag in _INPUT.findall(answer.text) if "readonly" in tag]
    shown += re.findall(r"<code>\s*([\w.~-]{16,})\s*</code>", answer.text)
    codes = [value for value in shown if re.fullmatch(r"[\w.~-]{16,}", value)]
    assert len(codes) == 1, f"expected one code on the out-of-band page, found {codes}:\n{answer.text[:3000]}"
    return codes[0]
