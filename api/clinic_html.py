"""HTML building blocks of the clinic pages (:mod:`mocaplab.api.clinic`): plain server-rendered
pages, every value escaped, no inline script (the pages' Content-Security-Policy forbids it)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from mocaplab.api.auth import Principal

e = html.escape
STATIC = "/clinic/static"


def url(path: str, **query: Any) -> str:
    """``path`` with the non-empty ``query`` parameters, escaped for an attribute."""
    q = {k: v for k, v in query.items() if v not in (None, "")}
    return e(path + ("?" + urlencode(q) if q else ""))


def page(title: str, body: str, who: Principal | None, *, csrf: str = "",
         scripts: Sequence[str] = ()) -> str:
    """A whole page: header with navigation and the signed-in user, then ``body``."""
    user = ""
    if who is not None:
        user = (f"<span class='who'>{e(who.name)} ({e(who.role)})</span>"
                "<form method='post' action='/clinic/logout' class='inline'>"
                "<button type='submit'>Log out</button></form>")
    js = "".join(f"<script type='module' src='{STATIC}/{e(s)}'></script>" for s in scripts)
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<meta name='csrf' content='{e(csrf)}'>"
            f"<title>{e(title)} - mocaplab clinic</title>"
            f"<link rel='stylesheet' href='{STATIC}/clinic.css'>{js}</head><body>"
            "<header><a class='brand' href='/clinic/'>mocaplab clinic</a>"
            f"<nav><a href='/clinic/'>Subjects</a></nav>{user}</header>"
            f"<main><h1>{e(title)}</h1>{body}</main></body></html>")


def table(head: Sequence[str], rows: Iterable[Sequence[Any]], cls: str = "",
          raw_cols: Sequence[int] = ()) -> str:
    """A table; cells are escaped except in ``raw_cols`` (already-built HTML)."""
    out = [f"<table class='{e(cls)}'><thead><tr>"
           + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    n = 0
    for r in rows:
        n += 1
        out.append("<tr>" + "".join(
            f"<td>{c if i in raw_cols else e('-' if c is None else str(c))}</td>"
            for i, c in enumerate(r)) + "</tr>")
    if n == 0:
        out.append(f"<tr><td colspan='{len(head)}' class='empty'>none</td></tr>")
    return "".join(out) + "</tbody></table>"


def link(href: str, text: str, cls: str = "") -> str:
    """``<a>``; ``href`` must already be escaped (see :func:`url`)."""
    return f"<a href='{href}'{f' class={e(cls)!r}' if cls else ''}>{e(text)}</a>"


def select(name: str, options: Sequence[tuple[str, str]], selected: str | None = None) -> str:
    opts = "".join(f"<option value='{e(v)}'{' selected' if v == selected else ''}>{e(t)}"
                   "</option>" for v, t in options)
    return f"<select name='{e(name)}' id='{e(name)}'>{opts}</select>"


def login_page(message: str = "", next_path: str = "/clinic/") -> str:
    """The only page served without a token. Styles inline (the stylesheet needs a token)."""
    msg = f"<p class='error' role='alert'>{e(message)}</p>" if message else ""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<title>Log in - mocaplab clinic</title><style>"
            "body{font-family:system-ui,sans-serif;max-width:28em;margin:4em auto;padding:0 1em}"
            "input{width:100%;padding:.5em;font-size:1em;box-sizing:border-box}"
            "button{margin-top:1em;padding:.5em 1.5em;font-size:1em}"
            ".error{color:#a00}</style></head><body><h1>mocaplab clinic</h1>"
            f"{msg}<form method='post' action='/clinic/login'>"
            "<label for='token'>Access token</label>"
            "<input type='password' id='token' name='token' autocomplete='off' required>"
            f"<input type='hidden' name='next' value='{e(next_path)}'>"
            "<button type='submit' id='login'>Log in</button></form>"
            "<p>Use the token your lab administrator gave you (the same token as for the "
            "results API). It is kept in a browser cookie until you log out or close the "
            "browser.</p></body></html>")
