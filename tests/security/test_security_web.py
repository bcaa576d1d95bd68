"""The review page's web cases of issue 11: security headers on every response, 404s that name
no path, a missing proposal's edit form, and ``serve`` failing before it prints the token."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from security_support import invoke

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient
from review_support import prompt_run

from radprompt.llm import LLMRecipe
from radprompt.review.app import SECURITY_HEADERS, create_app

TOKEN = "web-test-token-123456"


@pytest.fixture(scope="module")
def run_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    recipe = LLMRecipe(model="hosted_vllm/m", api_base="http://127.0.0.1:9/v1")
    run, _, _ = prompt_run(tmp_path_factory.mktemp("runs"), recipe)
    return Path(run.path)


@pytest.fixture
def client(run_path: Path) -> TestClient:
    return TestClient(create_app(run_path, token=TOKEN))


def _has_headers(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.status_code)


@pytest.mark.parametrize("path", ["/", "/static/htmx.min.js", "/static/missing.js",
                                  "/proposals/round-01", "/no-such-page"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    _has_headers(client.get(path))  # unauthorised (401) and static
    _has_headers(client.get(path, headers={"Authorization": f"Bearer {TOKEN}"}))


@pytest.mark.parametrize("path", ["/proposals/round-99", "/proposals/round-99/edit",
                                  "/proposals/..%2F..%2Fetc/edit", "/nothing"])
def test_not_found_pages_name_no_path_and_no_traceback(client: TestClient, run_path: Path,
                                                       path: str) -> None:
    response = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404
    assert str(run_path) not in response.text and "/tmp" not in response.text
    assert "Traceback" not in response.text


def test_missing_proposal_edit_form_is_a_404(client: TestClient) -> None:
    response = client.get("/proposals/round-99/edit",
                          headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404
    assert response.json() == {"detail": "no proposal 'round-99' in this run"}


def test_serve_refuses_a_short_token_without_printing_it(run_path: Path) -> None:
    result = invoke("serve", run_path, "--token", "short")
    assert result.exit_code == 2
    assert "--token: the access token has 5 character(s)" in result.output
    assert "review page" not in result.output


def test_serve_that_cannot_bind_never_prints_the_token(run_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        result = invoke("serve", run_path, "--port", port, "--token", TOKEN)
    finally:
        taken.close()
    assert result.exit_code == 2, result.output
    assert f"127.0.0.1:{port}: cannot listen there" in result.output
    assert TOKEN not in result.output
