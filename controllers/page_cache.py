"""Signed-in pages rendered once and served again until what they show changes.

A page's HTML is kept per process (``entity.read_cache``) under the change feed's stamp of
the collections it reads: any write, by any process, moves the stamp and the next request
renders again. The key holds who asks (user, workspace, role) and the URL; the one part of
the HTML that belongs to the request, its CSRF token, is stored as a placeholder and filled
in per response. A request with flashed messages waiting renders normally (they are shown
once). Pages that show something outside the database (files in storage, today's date)
pass ``max_age_s``.
"""

from functools import wraps

from flask import g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from controllers.context import get_db
from entity import read_cache

CSRF_PLACEHOLDER = "\x00csrf\x00"
# What the page chrome reads on every signed-in page: the user, the workspace switcher.
CHROME = ("users", "workspaces", "memberships")


def cached_page(*collections, max_age_s=None):
    """Serve the decorated GET view's HTML from the cache while ``collections`` (and the
    chrome's) did not change."""
    depends_on = (*collections, *CHROME)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if session.get("_flashes") or not current_user.is_authenticated:
                return view(*args, **kwargs)
            what = (
                "page",
                request.endpoint,
                request.full_path,
                current_user.id,
                getattr(g.get("workspace"), "id", None),
                g.get("role"),
            )
            try:
                html = read_cache.read(
                    get_db(), what, depends_on, lambda: _render(view, args, kwargs), max_age_s
                )
            except _NotCacheable as answer:  # a redirect, an error page, a flash: as it came
                return answer.result
            return html.replace(CSRF_PLACEHOLDER, generate_csrf())

        return wrapped

    return decorator


def _render(view, args, kwargs):
    """The view's HTML with this request's CSRF token as a placeholder; anything but a plain
    200 page is raised as ``_NotCacheable`` so that nothing caches it."""
    result = view(*args, **kwargs)
    body, status = (result if isinstance(result, tuple) else (result, 200))[:2]
    if status != 200 or not isinstance(body, str) or session.get("_flashes"):
        raise _NotCacheable(result)
    token = g.get("csrf_token")
    return body.replace(token, CSRF_PLACEHOLDER) if token else body


class _NotCacheable(Exception):
    def __init__(self, result):
        super().__init__("not cacheable")
        self.result = result
