"""The catalogue of bad inputs: each case, the command, the message it must print and its exit
code. ``test_bad_input_catalogue.py`` runs every case; ``scripts/bad_inputs_doc.py`` writes
``docs/bad-inputs.md`` from this table, and a test checks that the document is current, so the
two cannot drift. All file contents here are synthetic.

In ``args`` and ``files``, ``{tmp}`` is the case's own temporary folder. A case's ``setup``
may write more files and return a context manager held while the command runs (a lock held
by "another run"). (A port already in use by ``serve`` is in test_security_web.py.)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MINI = str(Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml")
OUT = "{tmp}/out.jsonl"
LOOPBACK = "http://127.0.0.1:9/v1"
Setup = Callable[[Path], AbstractContextManager[Any] | None]


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    args: tuple[str, ...]
    message: str
    exit: int
    files: dict[str, str | bytes] = field(default_factory=dict)
    setup: Setup | None = None
    env: dict[str, str] = field(default_factory=dict)


def extract(input: str, *extra: str) -> tuple[str, ...]:
    return ("extract", "-i", f"{{tmp}}/{input}", "-o", OUT, *extra)


def _folder(name: str) -> Setup:
    def make(tmp: Path) -> None:
        (tmp / name).mkdir()
    return make


def _bundle(change: Callable[[Path], None] | None = None, *, signed: bool = False) -> Setup:
    """A mini prompt bundle in {tmp}/b, then ``change`` applied to it."""
    def make(tmp: Path) -> None:
        from security_support import write_mini_bundle

        from radprompt.bundles import generate_key, read_key

        key = read_key(generate_key(tmp / "bundle.key")) if signed else None
        write_mini_bundle(tmp / "b", key=key)
        generate_key(tmp / "other.key")
        if change is not None:
            change(tmp / "b")
    return make


def _tampered(**changes: Any) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        from security_support import edit_json, rehash

        for name, values in changes.items():
            edit_json(folder / f"{name}.json", **values)
        rehash(folder)
    return change


def _escape(folder: Path) -> None:
    import hashlib

    from security_support import edit_json, rehash

    data = json.loads((folder / "prompt.json").read_text())
    text = data["template_text"].replace(
        "{% block system %}", "{% block system %}{{ cycler.__init__.__globals__.os }}", 1)
    data["template_text"] = text
    content = {k: data[k] for k in ("template", "template_text", "mode", "labelset", "labels",
                                    "guidance", "demos")}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    edit_json(folder / "prompt.json", template_text=text,
              hash=hashlib.sha256(canonical.encode()).hexdigest())
    rehash(folder)


def _write(name: str, text: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        (folder / name).write_text(text)
    return change


def _remove(name: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        (folder / name).unlink()
    return change


def _edit_manifest(folder: Path) -> None:
    manifest = json.loads((folder / "bundle.json").read_text())
    manifest["review"] = "reviewed"
    manifest["metrics"] = {"dev": {"macro_f1": 0.99}}
    (folder / "bundle.json").write_text(json.dumps(manifest))


def _symlink(folder: Path) -> None:
    os.symlink("/etc/hostname", folder / "link.txt")


def _traversal(folder: Path) -> None:
    manifest = json.loads((folder / "bundle.json").read_text())
    manifest["files"]["../outside.txt"] = "0" * 64
    (folder / "bundle.json").write_text(json.dumps(manifest))


def _lock(tmp: Path) -> AbstractContextManager[Any]:
    from radprompt.journal import OutputLock

    return OutputLock(path=tmp / "out.jsonl.partial.jsonl")


def _journal(*, fingerprint: str | None = None, input: str = "") -> Setup:
    def make(tmp: Path) -> None:
        from radprompt.extractors.rules import RulesExtractor
        from radprompt.labelset import load_labelset
        from radprompt.pipeline import extractor_fingerprint

        labelset = load_labelset("chestxray21")
        mine = extractor_fingerprint(RulesExtractor(labelset=labelset), labelset=labelset)
        header = {"journal": fingerprint or mine, "input": input}
        (tmp / "out.jsonl.partial.jsonl").write_text(json.dumps(header) + "\n")
    return make


def _run_dir(tmp: Path) -> None:
    (tmp / "run").mkdir()


REPORTS = '{"id": "a", "text": "No effusion."}\n{"id": "b", "text": "Small effusion."}\n'
REFERENCE = '{"id": "a", "text": "No effusion.", "labels": {"pleural_effusion": 0}}\n'
PREDICTION = '{"id": "a", "findings": {"pleural_effusion": {"state": "absent"}}}\n'

CASES: list[Case] = [
    # -- extract: the input file as a whole -------------------------------------------------
    Case("missing-file", "input file does not exist", extract("nowhere.csv"),
         "nowhere.csv: file not found", 2),
    Case("empty-file", "input file is empty", extract("r.csv"), "r.csv: the file is empty", 2,
         {"r.csv": ""}),
    Case("not-utf8", "input is not UTF-8 (Latin-1 byte)", extract("r.csv"),
         "r.csv, line 2: not valid UTF-8 (byte 0xe9", 2, {"r.csv": b"id,text\n1,caf\xe9\n"}),
    Case("input-folder", "input is a folder", extract("dir"), "dir: not a regular file", 2,
         setup=_folder("dir")),
    Case("header-only", "CSV with a header and no rows", extract("r.csv"),
         "r.csv: no reports in the file (a header or blank lines only)", 2,
         {"r.csv": "id,text\n"}),
    Case("json-array", "a JSON array instead of JSON Lines", extract("r.json"),
         "r.json, line 1: a JSON array; radprompt reads JSON Lines", 2,
         {"r.json": '[{"id": "a", "text": "No effusion."}]\n'}),
    Case("parquet", "a broken Parquet file", extract("r.parquet"),
         "r.parquet: not a readable Parquet file", 2,
         {"r.parquet": b"PAR1\x15\x04\x15"}),
    Case("excel", "an Excel (zip) file", extract("r.xlsx"), "r.xlsx: a zip (or Excel) file", 2,
         {"r.xlsx": b"PK\x03\x04\x14\x00"}),
    Case("gzip", "a gzip-compressed file", extract("r.jsonl.gz"), "r.jsonl.gz: a gzip file", 2,
         {"r.jsonl.gz": b"\x1f\x8b\x08\x00"}),
    Case("no-id-column", "CSV without an id column", extract("r.csv"),
         "r.csv, header: no id column", 2, {"r.csv": "text\nNo effusion.\n"}),
    Case("no-text-column", "CSV without a text column", extract("r.csv"),
         "r.csv, header: no text column", 2, {"r.csv": "id,body\n1,No effusion.\n"}),
    Case("duplicate-column", "CSV with a column twice", extract("r.csv"),
         "r.csv, header: duplicate column(s) ['text']", 2, {"r.csv": "id,text,text\n1,a,b\n"}),
    Case("unknown-label-column", "CSV label column the labelset lacks", extract("r.csv"),
         "r.csv, header: column 'Foo' is not a label of labelset 'chestxray21'", 2,
         {"r.csv": "id,text,Foo\n1,a,1\n"}),
    Case("jsonl-no-id", "JSONL line without id", extract("r.jsonl"),
         "r.jsonl, line 1: no 'id' field", 2, {"r.jsonl": '{"text": "No effusion."}\n'}),
    Case("jsonl-no-text", "JSONL line without text", extract("r.jsonl"),
         "r.jsonl, line 1: no 'text' field", 2, {"r.jsonl": '{"id": "a"}\n'}),
    Case("jsonl-unknown-label", "JSONL label the labelset lacks", extract("r.jsonl"),
         "r.jsonl, line 1: column 'foo' is not a label", 2,
         {"r.jsonl": '{"id": "a", "text": "x", "labels": {"foo": 1}}\n'}),
    Case("unknown-format", "--format that does not exist", extract("r.jsonl", "--format", "xml"),
         "r.jsonl: unknown format 'xml'", 2, {"r.jsonl": REPORTS}),
    Case("unknown-labelset", "--labelset that does not exist",
         extract("r.jsonl", "--labelset", "nosuch"), "nosuch: no such file", 2,
         {"r.jsonl": REPORTS}),
    Case("labelset-yaml-broken", "labelset file that is not YAML",
         extract("r.jsonl", "--labelset", "{tmp}/ls.yaml"), "ls.yaml", 2,
         {"r.jsonl": REPORTS, "ls.yaml": "name: x\nlabels: [\n"}),
    Case("labelset-invalid", "labelset that fails validation",
         extract("r.jsonl", "--labelset", "{tmp}/ls.yaml"), "ls.yaml", 2,
         {"r.jsonl": REPORTS, "ls.yaml": "name: x\nversion: '1'\nlabels: 3\n"}),
    # -- extract: rows that cannot be used (the rest is extracted, exit 1) --------------------
    Case("empty-text", "a row with empty report text", extract("r.csv"),
         "r.csv, row 3 (id 'b'): empty report text", 1,
         {"r.csv": 'id,text\na,No effusion.\nb,"  "\n'}),
    Case("duplicate-id", "the same id twice", extract("r.csv"),
         "r.csv, row 3 (id 'a'): duplicate id (first seen in row 2)", 1,
         {"r.csv": "id,text\na,No effusion.\na,Effusion.\n"}),
    Case("nul-bytes", "NUL bytes in a report", extract("r.csv"),
         "row 2 (id 'a'): contains NUL bytes", 1, {"r.csv": "id,text\na,No\x00 effusion.\n"}),
    Case("bad-label-value", "label value outside 1 / 0 / -1 / blank", extract("r.csv"),
         "r.csv, row 2 (id 'a'): column 'Edema'", 1, {"r.csv": "id,text,Edema\na,x,2\n"}),
    Case("broken-jsonl-line", "a JSONL line that is not JSON", extract("r.jsonl"),
         "r.jsonl, row 2: not valid JSON: Expecting value at column 8", 1,
         {"r.jsonl": '{"id": "a", "text": "No effusion."}\n{"id": }\n'}),
    Case("jsonl-line-array", "a JSONL line that is an array", extract("r.jsonl"),
         "r.jsonl, row 2: a line must be a JSON object", 1,
         {"r.jsonl": '{"id": "a", "text": "No effusion."}\n["b"]\n'}),
    Case("labels-not-object", "labels given as a list", extract("r.jsonl"),
         "r.jsonl, row 1 (id 'a'): 'labels' must be an object", 1,
         {"r.jsonl": '{"id": "a", "text": "x", "labels": [1]}\n'}),
    Case("id-float", "id written as 2.0", extract("r.jsonl"),
         "r.jsonl, row 1: id 2.0 is not a string or a whole number", 1,
         {"r.jsonl": '{"id": 2.0, "text": "No effusion."}\n'}),
    Case("id-bool", "id written as true", extract("r.jsonl"),
         "r.jsonl, row 1: id true is not a string or a whole number", 1,
         {"r.jsonl": '{"id": true, "text": "No effusion."}\n'}),
    Case("id-list", "id written as [1]", extract("r.jsonl"),
         "r.jsonl, row 1: id [1] is not a string or a whole number", 1,
         {"r.jsonl": '{"id": [1], "text": "No effusion."}\n'}),
    Case("empty-id", "an empty id", extract("r.jsonl"), "r.jsonl, row 1: empty id", 1,
         {"r.jsonl": '{"id": "", "text": "No effusion."}\n'}),
    # -- extract: where the findings go ------------------------------------------------------
    Case("output-is-input", "-o the same file as -i", ("extract", "-i", OUT, "-o", OUT),
         "out.jsonl: --output would overwrite the input", 2, {"out.jsonl": REPORTS}),
    Case("sidecar-is-input", "the failure list would overwrite the input",
         ("extract", "-i", "{tmp}/out.jsonl.failed.jsonl", "-o", OUT),
         "--output would overwrite the input", 2, {"out.jsonl.failed.jsonl": REPORTS}),
    Case("output-is-folder", "-o names a folder",
         ("extract", "-i", "{tmp}/r.jsonl", "-o", "{tmp}/outdir"), "--output is a folder", 2,
         {"r.jsonl": REPORTS}, setup=_folder("outdir")),
    Case("output-parent-is-file", "-o inside a path that is a file",
         ("extract", "-i", "{tmp}/r.jsonl", "-o", "{tmp}/r.jsonl/out.jsonl"),
         "r.jsonl: is a file, so", 2, {"r.jsonl": REPORTS}),
    Case("output-not-writable", "-o in a folder that cannot be written",
         ("extract", "-i", "{tmp}/r.jsonl", "-o", "/sys/radprompt-test/out.jsonl"),
         "/sys: folder is not writable", 2, {"r.jsonl": REPORTS}),
    Case("output-locked", "another extract is writing the same output", extract("r.jsonl"),
         "is being written by another run (pid", 2, {"r.jsonl": REPORTS}, setup=_lock),
    Case("journal-other-extractor", "unfinished run of another extractor configuration",
         extract("r.jsonl"), "made with another extractor configuration", 2,
         {"r.jsonl": REPORTS}, setup=_journal(fingerprint="llm other-model")),
    Case("journal-other-input", "unfinished run that read another input", extract("r.jsonl"),
         "this unfinished run read another input (/elsewhere.jsonl)", 2, {"r.jsonl": REPORTS},
         setup=_journal(input="/elsewhere.jsonl")),
    # -- extract: the extractor and where reports may go --------------------------------------
    Case("unknown-recipe", "-e names no recipe", extract("r.jsonl", "-e", "nosuch"),
         "nosuch: no such file, and no extractors/nosuch.yaml found", 2, {"r.jsonl": REPORTS}),
    Case("llm-option-with-rules", "an LLM option with the rule engine",
         extract("r.jsonl", "-e", "rules", "--temperature", "0.5"), "is an LLM option", 2,
         {"r.jsonl": REPORTS}),
    Case("recipe-unknown-key", "recipe with a key no recipe has",
         extract("r.jsonl", "-e", "{tmp}/rec.yaml"), "rec.yaml: colour: unknown key", 2,
         {"r.jsonl": REPORTS,
          "rec.yaml": f"kind: llm\nmodel: hosted_vllm/m\napi_base: {LOOPBACK}\ncolour: red\n"}),
    Case("recipe-not-mapping", "recipe that is a list", extract("r.jsonl", "-e", "{tmp}/rec.yaml"),
         "an extractor recipe is a mapping with a 'kind' key", 2,
         {"r.jsonl": REPORTS, "rec.yaml": "- kind\n"}),
    Case("recipe-unknown-kind", "recipe of an unknown kind",
         extract("r.jsonl", "-e", "{tmp}/rec.yaml"), "unknown extractor kind 'magic'", 2,
         {"r.jsonl": REPORTS, "rec.yaml": "kind: magic\n"}),
    Case("remote-provider", "a hosted model without --allow-remote",
         extract("r.jsonl", "-m", "openai/gpt-4o-mini"),
         "refusing to send reports to openai/gpt-4o-mini at the openai API", 2,
         {"r.jsonl": REPORTS}),
    Case("remote-api-base", "a server on another machine without --allow-remote",
         extract("r.jsonl", "-m", "hosted_vllm/m", "--api-base", "http://10.1.2.3:8000/v1"),
         "refusing to send reports to hosted_vllm/m at 10.1.2.3", 2, {"r.jsonl": REPORTS}),
    Case("remote-api-base-env", "OLLAMA_API_BASE on another machine",
         extract("r.jsonl", "-m", "ollama/llama3.1"), "remote-host (from $OLLAMA_API_BASE)", 2,
         {"r.jsonl": REPORTS}, env={"OLLAMA_API_BASE": "http://remote-host:11434"}),
    Case("hosted-vllm-no-api-base", "hosted_vllm model without a server",
         extract("r.jsonl", "-m", "hosted_vllm/m"), "a hosted_vllm/ model needs api_base", 2,
         {"r.jsonl": REPORTS}),
    Case("bundle-and-extractor", "--bundle together with --extractor",
         extract("r.jsonl", "--bundle", "{tmp}/b", "-e", "rules"),
         "--bundle fixes the extractor", 2, {"r.jsonl": REPORTS}),
    # -- bundles ----------------------------------------------------------------------------
    Case("bundle-missing", "bundle folder does not exist", ("bundle", "verify", "{tmp}/nob"),
         "nob: not a bundle folder", 2),
    Case("bundle-no-manifest", "folder without bundle.json", ("bundle", "verify", "{tmp}/dir"),
         "dir: not a bundle (no bundle.json)", 2, setup=_folder("dir")),
    Case("bundle-manifest-not-json", "bundle.json that is not JSON",
         ("bundle", "verify", "{tmp}/b"), "bundle.json: not valid JSON", 2,
         setup=_bundle(_write("bundle.json", "{"))),
    Case("bundle-file-changed", "a bundle file edited", ("bundle", "verify", "{tmp}/b"),
         "messages.json: content changed", 2, setup=_bundle(_write("messages.json", "[]"))),
    Case("bundle-file-added", "a file added to a bundle", ("bundle", "verify", "{tmp}/b"),
         "extra.txt: not part of the bundle (added)", 2,
         setup=_bundle(_write("extra.txt", "x"))),
    Case("bundle-file-removed", "a bundle file deleted", ("bundle", "verify", "{tmp}/b"),
         "messages.json: missing", 2, setup=_bundle(_remove("messages.json"))),
    Case("bundle-manifest-edited", "bundle.json edited without re-hashing",
         ("bundle", "verify", "{tmp}/b"), "content hash does not match its content", 2,
         setup=_bundle(_edit_manifest)),
    Case("bundle-symlink", "a symbolic link inside a bundle", ("bundle", "verify", "{tmp}/b"),
         "link.txt is a symbolic link", 2, setup=_bundle(_symlink)),
    Case("bundle-path-outside", "bundle.json lists ../outside.txt",
         ("bundle", "verify", "{tmp}/b"), "is not a plain path inside the bundle", 2,
         setup=_bundle(_traversal)),
    Case("bundle-unsigned-with-key", "unsigned bundle checked with a key",
         ("bundle", "verify", "{tmp}/b", "--key", "{tmp}/other.key"), "is not signed", 2,
         setup=_bundle()),
    Case("bundle-wrong-key", "bundle signed by another key",
         ("bundle", "verify", "{tmp}/b", "--key", "{tmp}/other.key"),
         "the signature does not match key", 2, setup=_bundle(signed=True)),
    Case("bundle-forged-approval", "approvals edited and re-hashed in a signed bundle",
         ("bundle", "verify", "{tmp}/b", "--key", "{tmp}/bundle.key"),
         "the signature does not match key", 2,
         setup=_bundle(_tampered(bundle={"approvals": [{"reviewer": "Dr. Forged"}]}),
                       signed=True)),
    Case("bundle-expect-hash", "bundle other than the one the audit log recorded",
         ("bundle", "verify", "{tmp}/b", "--expect-hash", "0123456789abcdef"),
         "not the bundle the audit log recorded", 2, setup=_bundle()),
    Case("bundle-expect-hash-short", "--expect-hash too short to mean anything",
         ("bundle", "verify", "{tmp}/b", "--expect-hash", "abc"), "is too short", 2,
         setup=_bundle()),
    Case("key-missing", "--key file does not exist",
         ("bundle", "verify", "{tmp}/b", "--key", "{tmp}/nokey"), "nokey: key file not found",
         2, setup=_bundle()),
    Case("key-too-short", "HMAC key of 5 bytes",
         ("bundle", "verify", "{tmp}/b", "--key", "{tmp}/short.key"),
         "the HMAC key is 5 byte(s); use at least 16", 2, {"short.key": "12345"},
         setup=_bundle()),
    Case("keygen-overwrite", "keygen over an existing file", ("bundle", "keygen", "{tmp}/k"),
         "k: exists; a key file is never overwritten", 2, {"k": "x"}),
    Case("bundle-prompt-no-hash", "bundle prompt.json without its hash",
         extract("r.jsonl", "--bundle", "{tmp}/b", "--labelset", MINI, "--api-base", LOOPBACK),
         "must carry its content hash", 2, {"r.jsonl": REPORTS},
         setup=_bundle(_tampered(prompt={"hash": None}))),
    Case("bundle-sandbox-escape", "bundle template reaching Python internals",
         extract("r.jsonl", "--bundle", "{tmp}/b", "--labelset", MINI, "--api-base", LOOPBACK),
         "refused by the sandbox", 2, {"r.jsonl": REPORTS}, setup=_bundle(_escape)),
    Case("bundle-remote-endpoint", "bundle recipe naming a remote server",
         extract("r.jsonl", "--bundle", "{tmp}/b", "--labelset", MINI),
         "a bundle never chooses where reports go", 2, {"r.jsonl": REPORTS},
         setup=_bundle(_tampered(recipe={"api_base": "http://attacker.example/v1",
                                         "allow_remote": True}))),
    Case("bundle-extra-params", "bundle recipe with extra_params.api_base",
         extract("r.jsonl", "--bundle", "{tmp}/b", "--labelset", MINI, "--api-base", LOOPBACK),
         "a bundle may not set them", 2, {"r.jsonl": REPORTS},
         setup=_bundle(_tampered(recipe={"extra_params": {"api_base": "http://x.example"}}))),
    # -- score ------------------------------------------------------------------------------
    Case("score-missing", "predictions file does not exist",
         ("score", "-p", "{tmp}/nope.jsonl", "-r", "{tmp}/ref.jsonl"),
         "nope.jsonl: file not found", 2, {"ref.jsonl": REFERENCE}),
    Case("score-reference-unlabelled", "reference without labels",
         ("score", "-p", "{tmp}/pred.jsonl", "-r", "{tmp}/ref.jsonl"),
         "ref.jsonl: the reference file has no label columns", 2,
         {"pred.jsonl": PREDICTION, "ref.jsonl": REPORTS}),
    Case("score-predictions-empty", "predictions without findings",
         ("score", "-p", "{tmp}/pred.jsonl", "-r", "{tmp}/ref.jsonl"),
         "pred.jsonl: the predictions file has no findings", 2,
         {"pred.jsonl": REPORTS, "ref.jsonl": REFERENCE}),
    Case("score-no-common-ids", "no prediction id matches a reference id",
         ("score", "-p", "{tmp}/pred.jsonl", "-r", "{tmp}/ref.jsonl"),
         "no report id in common with", 2,
         {"pred.jsonl": PREDICTION.replace('"a"', '"zz"'), "ref.jsonl": REFERENCE}),
    Case("score-blank-reference", "every reference label blank",
         ("score", "-p", "{tmp}/pred.jsonl", "-r", "{tmp}/ref.jsonl"),
         "every reference label is blank", 2,
         {"pred.jsonl": PREDICTION, "ref.jsonl": REFERENCE.replace('"pleural_effusion": 0', "")}),
    Case("score-extra-prediction", "a prediction without a reference",
         ("score", "-p", "{tmp}/pred.jsonl", "-r", "{tmp}/ref.jsonl"),
         "(id 'zz'): no reference report with this id", 1,
         {"pred.jsonl": PREDICTION + PREDICTION.replace('"a"', '"zz"'),
          "ref.jsonl": REFERENCE}),
    Case("score-unknown-format", "--reference-format that does not exist",
         ("score", "-p", "{tmp}/pred.jsonl", "-r", "{tmp}/ref.jsonl", "--reference-format",
          "xml"), "unknown format 'xml'", 2,
         {"pred.jsonl": PREDICTION, "ref.jsonl": REFERENCE}),
    # -- evaluate ---------------------------------------------------------------------------
    Case("evaluate-confidence", "--confidence 1.5",
         ("evaluate", "-r", "{tmp}/r.jsonl", "-g", "a={tmp}/r.jsonl", "--metrics", "bleu",
          "--confidence", "1.5"), "--confidence: 1.5 is not a confidence level", 2,
         {"r.jsonl": REPORTS}),
    Case("evaluate-output-file", "-o pointing at a file",
         ("evaluate", "-r", "{tmp}/r.jsonl", "-g", "a={tmp}/r.jsonl", "--metrics", "bleu",
          "-o", "{tmp}/r.jsonl"), "--output is a file", 2, {"r.jsonl": REPORTS}),
    Case("evaluate-unknown-metric", "a metric that does not exist",
         ("evaluate", "-r", "{tmp}/r.jsonl", "-g", "a={tmp}/r.jsonl", "--metrics", "nosuch"),
         "unknown metric(s) ['nosuch']", 2, {"r.jsonl": REPORTS}),
    Case("evaluate-unknown-option", "--option key the metric does not have",
         ("evaluate", "-r", "{tmp}/r.jsonl", "-g", "a={tmp}/r.jsonl", "--metrics", "bleu",
          "--option", "bleu.foo=1"), "--option: metric 'bleu' has no option(s) foo", 2,
         {"r.jsonl": REPORTS}),
    Case("evaluate-option-syntax", "--option without METRIC.KEY=VALUE",
         ("evaluate", "-r", "{tmp}/r.jsonl", "-g", "a={tmp}/r.jsonl", "--metrics", "bleu",
          "--option", "bleu"), "'bleu' is not METRIC.KEY=VALUE", 2, {"r.jsonl": REPORTS}),
    Case("evaluate-system-twice", "one system name given twice",
         ("evaluate", "-r", "{tmp}/r.jsonl", "-g", "a={tmp}/r.jsonl", "-g", "a={tmp}/r.jsonl"),
         "system 'a' is named twice", 2, {"r.jsonl": REPORTS}),
    Case("evaluate-judge-unreachable", "every judge request fails (no server)",
         ("evaluate", "-r", "{tmp}/r.jsonl", "-g", "a={tmp}/r.jsonl", "--metrics", "judge",
          "--judge-model", "hosted_vllm/m", "--judge-api-base", LOOPBACK, "-o", "{tmp}/ev"),
         "no score at all for judge", 2, {"r.jsonl": REPORTS}),
    # -- serve ------------------------------------------------------------------------------
    Case("serve-short-token", "an access token of 5 characters",
         ("serve", "{tmp}/run", "--token", "short"), "--token: the access token has 5", 2,
         setup=_run_dir),
    Case("serve-not-a-run", "serve a folder that is no run",
         ("serve", "{tmp}/run", "--token", "long-enough-token"),
         "run: not a run directory (no manifest.json)", 2, setup=_run_dir),
]


def prepare(case: Case, tmp: Path) -> tuple[list[str], AbstractContextManager[Any]]:
    """Write the case's files, run its setup; the arguments and what to hold meanwhile."""
    for name, content in case.files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    held = case.setup(tmp) if case.setup is not None else None
    args = [arg.replace("{tmp}", str(tmp)) for arg in case.args]
    return args, held if held is not None else nullcontext()


def render_markdown() -> str:
    """docs/bad-inputs.md, generated from ``CASES``."""
    lines = [
        "# Bad inputs: what radprompt says and how it exits",
        "",
        "Generated by `python scripts/bad_inputs_doc.py` from the test table "
        "`tests/security/bad_inputs.py`; `tests/security/test_bad_input_catalogue.py` runs "
        "every case and checks that this page is current. Exit code 2: nothing usable was "
        "produced; 1: the usable part was written and the rest is listed (and written to "
        "`OUTPUT.failed.jsonl`); 3 would be a bug. Tracebacks appear only with "
        "`radprompt --debug` (or `RADPROMPT_DEBUG=1`). `{tmp}` is a scratch folder.",
        "",
        f"{len(CASES)} cases.",
        "",
        "| # | case | bad input | command | message (part) | exit |",
        "|---|------|-----------|---------|----------------|------|",
    ]
    for number, case in enumerate(CASES, 1):
        command = " ".join(["radprompt", *(a.replace(MINI, "tests/fixtures/mini.yaml")
                                           for a in case.args)])
        env = " ".join(f"{k}={v}" for k, v in case.env.items())
        shown = f"{env} {command}".strip().replace("|", "\\|")
        message = case.message.replace("|", "\\|")
        lines.append(f"| {number} | {case.name} | {case.what} | `{shown}` | `{message}` | "
                     f"{case.exit} |")
    return "\n".join(lines) + "\n"
