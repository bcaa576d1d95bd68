"""Loading a labelset twice in one process: the same object while its files are unchanged, a
fresh load as soon as the labelset file or one of its example files changes (byte for byte)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from radprompt.labelset import load_labelset
from radprompt.resources import find_resource

SYNTHETIC_EXAMPLE = '  - {text: "Synthetic: a tiny right apical pneumothorax.", state: present}\n'


def _copy_labelset(tmp_path: Path) -> Path:
    source = find_resource("labelsets", "chexpert14", suffix=".yaml")
    target = tmp_path / "chexpert14.yaml"
    shutil.copy(source, target)
    shutil.copytree(source.parent / "examples" / "chexpert14", tmp_path / "examples" / "chexpert14")
    return target


def test_loading_again_returns_the_same_labelset_while_nothing_changed(tmp_path: Path) -> None:
    path = _copy_labelset(tmp_path)
    first = load_labelset(path)
    assert load_labelset(path) is first
    assert load_labelset(str(path)) is first


def test_a_changed_example_file_is_read_again(tmp_path: Path) -> None:
    path = _copy_labelset(tmp_path)
    before = load_labelset(path)
    examples = tmp_path / "examples" / "chexpert14" / "core.yaml"
    examples.write_text(examples.read_text(encoding="utf-8").replace(
        "pneumothorax:\n", "pneumothorax:\n" + SYNTHETIC_EXAMPLE, 1), encoding="utf-8")
    after = load_labelset(path)
    assert after is not before
    texts = [example.text for example in after.get("pneumothorax").examples]
    assert "Synthetic: a tiny right apical pneumothorax." in texts
    assert len(texts) == len(before.get("pneumothorax").examples) + 1


def test_a_new_example_file_and_a_changed_labelset_are_read_again(tmp_path: Path) -> None:
    path = _copy_labelset(tmp_path)
    before = load_labelset(path)
    extra = tmp_path / "examples" / "chexpert14" / "zz_extra.yaml"
    extra.write_text("pneumothorax:\n" + SYNTHETIC_EXAMPLE, encoding="utf-8")
    with_file = load_labelset(path)
    assert with_file is not before
    assert len(with_file.get("pneumothorax").examples) == len(
        before.get("pneumothorax").examples) + 1
    path.write_text(re.sub(r"(?m)^version: .*$", 'version: "9.9.9"',
                           path.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    assert load_labelset(path).version == "9.9.9"
