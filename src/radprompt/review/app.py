"""The review web page: a FastAPI app over one run directory (``radprompt serve RUN``).

Pages are Jinja templates from this package with autoescaping on (report text is escaped);
htmx 2.0.11 is vendored in ``static/`` (BSD Zero-Clause licence in
``static/htmx.LICENSE``; no CDN, no JS build). Access needs the token printed at
start: ``/?token=...`` once sets an HttpOnly, SameSite=Strict cookie (an
``Authorization: Bearer`` header works too); every form carries a CSRF token derived from the
access token, and a POST without it is refused. Decisions go through
``radprompt.review.decisions`` into the run's append-only audit log.

Needs ``pip install 'radprompt[web]'``.

Example::

    >>> app = create_app("runs/20260101-chestxray21-rules", token="s3cret")  # doctest: +SKIP
    >>> import uvicorn; uvicorn.run(app, host="127.0.0.1", port=8765)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

from radprompt.llm.base import MissingExtraError

try:
    from fastapi import FastAPI, Form, HTTPException, Request
    from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
    from fastapi.staticfiles import StaticFiles
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError(
        "radprompt.review.app needs FastAPI: pip install 'radprompt[web]'") from exc

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from radprompt.errors import RadpromptError
from radprompt.review.decisions import (
    accept,
    accept_edit,
    editable_text,
    reject,
    score_edit,
)
from radprompt.review.proposals import (
    dev_report_texts,
    list_proposals,
    proposal_view,
    side_by_side,
)
from radprompt.runs import Run

__all__ = ["COOKIE", "SECURITY_HEADERS", "create_app", "new_token"]

logger = logging.getLogger(__name__)
COOKIE = "radprompt_review"


SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'none'",
    "Cache-Control": "no-store",
}
"""Headers on every response of the review page."""


class _NotFound(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(status_code=404, detail=detail)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _templates() -> Environment:
    environment = Environment(loader=PackageLoader("radprompt.review", "templates"),
                              autoescape=select_autoescape(["html"]), trim_blocks=True,
                              lstrip_blocks=True)
    environment.filters["signed"] = lambda value: f"{value:+.3f}" if abs(value) > 5e-4 else ""
    return environment


def create_app(run_path: str | Path, *, token: str) -> FastAPI:
    """The review app for one run; ``token`` is required on every page."""
    if len(token) < 8:
        raise ValueError("the access token must have at least 8 characters")
    pages = _Pages(Run.open(run_path), token=token)
    app = FastAPI(title=f"radprompt review: {pages.run.path.name}", docs_url=None,
                  redoc_url=None, openapi_url=None)
    static = resources.files("radprompt.review") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    _guard(app, token)
    app.get("/", response_class=HTMLResponse)(pages.index)
    app.get("/proposals/{proposal_id}", response_class=HTMLResponse)(pages.proposal_page)
    app.get("/proposals/{proposal_id}/edit", response_class=HTMLResponse)(pages.edit_form)
    app.post("/proposals/{proposal_id}/decide", response_class=HTMLResponse)(pages.decide)
    app.post("/proposals/{proposal_id}/edit", response_class=HTMLResponse)(pages.rescore)
    app.post("/proposals/{proposal_id}/accept-edit",
             response_class=HTMLResponse)(pages.accept_edited)
    app.get("/audit", response_class=HTMLResponse)(pages.audit)
    return app


def _guard(app: FastAPI, token: str) -> None:
    """Every page needs the token; every response carries the security headers; errors say
    what went wrong in words, never with a path or a traceback."""

    def authorised(request: Request) -> bool:
        given = (request.cookies.get(COOKIE) or request.query_params.get("token")
                 or request.headers.get("authorization", "").removeprefix("Bearer ").strip())
        return bool(given) and hmac.compare_digest(given, token)

    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Response:
        response: Response
        if request.url.path.startswith("/static/"):
            response = await call_next(request)
        elif not authorised(request):
            response = JSONResponse({"detail": "a valid access token is required (see the "
                                     "`radprompt serve` output)"}, status_code=401)
        else:
            response = await call_next(request)
            if request.query_params.get("token"):
                response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        response.headers.update(SECURITY_HEADERS)  # every response: pages, 401s, static files
        return response

    @app.exception_handler(StarletteHTTPException)
    async def plain_errors(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if exc.status_code != 404 or isinstance(exc, _NotFound) else (
            "no such page")
        return JSONResponse({"detail": detail}, status_code=exc.status_code,
                            headers=dict(SECURITY_HEADERS))


class _Pages:
    """The pages of one run's review app (each method is a route)."""

    def __init__(self, run: Run, *, token: str) -> None:
        self.run = run
        self.templates = _templates()
        self.csrf = hmac.new(token.encode(), b"radprompt-review-csrf",
                             hashlib.sha256).hexdigest()
        self.texts: dict[str, str] | None = None

    # --- helpers ---------------------------------------------------------------------------
    def check_csrf(self, value: str) -> None:
        if not hmac.compare_digest(value, self.csrf):
            raise HTTPException(status_code=403, detail="missing or wrong CSRF token")

    def render(self, name: str, **context: Any) -> HTMLResponse:
        template = self.templates.get_template(name)
        return HTMLResponse(template.render(run=self.run.path.name, csrf=self.csrf, **context))

    def view(self, proposal_id: str) -> Any:
        if self.texts is None:
            self.texts = dev_report_texts(self.run)
        return proposal_view(self.run, proposal_id, texts=self.texts)

    def found(self, proposal_id: str) -> Any:
        """The proposal's view, or a 404 that names the proposal and nothing of the disk."""
        try:
            return self.view(proposal_id)
        except (RadpromptError, KeyError, OSError) as exc:
            logger.info("proposal %r: %s", proposal_id, exc)
            raise _NotFound(f"no proposal {proposal_id!r} in this run") from None

    def fail(self, request: Request, exc: RadpromptError) -> HTMLResponse:
        body = self.templates.get_template("_error.html").render(message=str(exc))
        if request.headers.get("hx-request"):  # htmx swaps only 2xx: show it in #errors
            return HTMLResponse(body, headers={"HX-Retarget": "#errors",
                                               "HX-Reswap": "innerHTML"})
        return HTMLResponse(body, status_code=400)

    def after_decision(self, request: Request, proposal_id: str) -> Response:
        if request.headers.get("hx-request"):
            return self.render("_status.html", p=self.view(proposal_id), oob=True)
        return RedirectResponse(f"/proposals/{proposal_id}", status_code=303)

    # --- routes ----------------------------------------------------------------------------
    def index(self) -> HTMLResponse:
        return self.render("index.html", proposals=list_proposals(self.run),
                           manifest=self.run.manifest)

    def proposal_page(self, proposal_id: str) -> HTMLResponse:
        shown = self.found(proposal_id)
        return self.render("proposal.html", p=shown, rows=side_by_side(shown.diff),
                           edits=self.run.edits(proposal_id))

    def edit_form(self, proposal_id: str) -> HTMLResponse:
        shown = self.found(proposal_id)
        return self.render("_edit.html", p=shown, text=editable_text(self.run, proposal_id))

    def decide(self, proposal_id: str, request: Request, decision: str = Form(...),
               reviewer: str = Form(""), comment: str = Form(""),
               csrf_token: str = Form("")) -> Response:
        self.check_csrf(csrf_token)
        try:
            if decision == "accept":
                accept(self.run, proposal_id, reviewer=reviewer, comment=comment)
            elif decision == "reject":
                reject(self.run, proposal_id, reviewer=reviewer, comment=comment)
            else:
                raise HTTPException(status_code=400, detail="decision is accept or reject")
        except RadpromptError as exc:
            return self.fail(request, exc)
        return self.after_decision(request, proposal_id)

    def rescore(self, proposal_id: str, request: Request, text: str = Form(...),
                reviewer: str = Form(""), csrf_token: str = Form("")) -> HTMLResponse:
        self.check_csrf(csrf_token)
        try:
            edited = score_edit(self.run, proposal_id, text, reviewer=reviewer)
        except RadpromptError as exc:
            return self.fail(request, exc)
        shown = self.view(proposal_id)
        before = {row.label_id: row.f1_before for row in shown.labels}
        return self.render("_edited.html", p=shown, edited=edited, before=before,
                           rows=side_by_side(edited.diff), reviewer=reviewer)

    def accept_edited(self, proposal_id: str, request: Request, version: str = Form(...),
                      reviewer: str = Form(""), comment: str = Form(""),
                      csrf_token: str = Form("")) -> Response:
        self.check_csrf(csrf_token)
        try:
            accept_edit(self.run, proposal_id, version=version, reviewer=reviewer,
                        comment=comment)
        except RadpromptError as exc:
            return self.fail(request, exc)
        return self.after_decision(request, proposal_id)

    def audit(self) -> HTMLResponse:
        return self.render("audit.html", decisions=self.run.decisions())
