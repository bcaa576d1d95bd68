"""The review web app: token, CSRF, escaping, accept / reject / edit through HTTP."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from review_support import review_run

from radprompt.runs import ReportChange, Run

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient

from radprompt.review.app import create_app

TOKEN = "test-token-123456"


@pytest.fixture
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return review_run(tmp_path_factory)


@pytest.fixture
def client(run: Run) -> TestClient:
    return TestClient(create_app(run.path, token=TOKEN))


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_token_is_required(client: TestClient) -> None:
    assert client.get("/").status_code == 401
    assert client.get("/proposals/round-01").status_code == 401
    assert client.get("/?token=wrong-token-xyz").status_code == 401
    assert client.post("/proposals/round-01/decide",
                       data={"decision": "accept", "reviewer": "x"}).status_code == 401
    assert client.get("/static/htmx.min.js").status_code == 200  # vendored, no secrets
    page = client.get(f"/?token={TOKEN}")
    assert page.status_code == 200 and "round-01" in page.text
    assert client.get("/proposals/round-01").status_code == 200  # the cookie now does
    assert "httponly" in page.headers["set-cookie"].lower()


def test_proposal_page_content(client: TestClient, run: Run) -> None:
    page = client.get("/proposals/round-01", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200
    html = page.text
    for part in ('id="diff"', 'id="labels"', 'id="fixes"', 'id="breaks"', "<mark>",
                 "Rationale", 'src="/static/htmx.min.js"'):
        assert part in html
    assert "cdn" not in html.lower()


def test_report_text_is_escaped(client: TestClient, run: Run) -> None:
    proposal = replace(run.proposal("round-01"), id="round-99", fixes=(ReportChange(
        report_id="evil", label_id="edema", reference="present", before="absent",
        after="present", sentence="<script>alert('x')</script> edema"),))
    run.write_proposal(proposal)
    html = client.get("/proposals/round-99", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_accept_needs_csrf_and_lands_in_the_audit_log(client: TestClient, run: Run) -> None:
    client.get(f"/?token={TOKEN}")
    html = client.get("/proposals/round-01").text
    form = {"decision": "accept", "reviewer": "Dr. Web", "comment": "fine by me"}
    assert client.post("/proposals/round-01/decide", data=form).status_code == 403
    assert not (run.path / "audit.jsonl").exists()
    done = client.post("/proposals/round-01/decide", data={**form, "csrf_token": _csrf(html)},
                       headers={"HX-Request": "true"})
    assert done.status_code == 200 and "accepted" in done.text
    record = json.loads((run.path / "audit.jsonl").read_text().splitlines()[-1])
    assert (record["decision"], record["reviewer"], record["comment"]) == (
        "accepted", "Dr. Web", "fine by me")
    again = client.post("/proposals/round-01/decide",
                        data={**form, "decision": "reject", "csrf_token": _csrf(html)},
                        headers={"HX-Request": "true"})
    assert "already" in again.text and again.headers["HX-Retarget"] == "#errors"


def test_edit_is_rescored_then_accepted(client: TestClient, run: Run) -> None:
    client.get(f"/?token={TOKEN}")
    form_html = client.get("/proposals/round-01/edit").text
    text = re.search(r'<textarea class="yaml"[^>]*>(.*?)</textarea>', form_html, re.S)
    assert text
    import html as html_module

    edited = html_module.unescape(text.group(1)).replace("  - wire\n", "", 1)
    scored = client.post("/proposals/round-01/edit",
                         data={"text": edited, "csrf_token": _csrf(form_html)})
    assert scored.status_code == 200 and "Edited version" in scored.text
    version = re.search(r'name="version" value="([0-9a-f]+)"', scored.text)
    assert version
    done = client.post("/proposals/round-01/accept-edit",
                       data={"version": version.group(1), "reviewer": "Dr. Edit",
                             "comment": "wire is too loose", "csrf_token": _csrf(form_html)},
                       follow_redirects=False)
    assert done.status_code == 303
    decision = run.decisions()[-1]
    assert (decision.decision, decision.version) == ("edited", version.group(1))
    audit = client.get("/audit").text
    assert "Dr. Edit" in audit and "wire is too loose" in audit
