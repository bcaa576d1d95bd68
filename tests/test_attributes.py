"""Attributes read next to a finding's mention. Every sentence here is synthetic (written by us)."""

from __future__ import annotations

import pytest

from radprompt.extractors.attributes import extract_attributes
from radprompt.findings import Attributes


def read(sentence: str, mention: str) -> dict[str, str]:
    start = sentence.lower().index(mention.lower())
    return extract_attributes(sentence=sentence, mention_start=start,
                              mention_end=start + len(mention)).to_json()


@pytest.mark.parametrize(("sentence", "mention", "expected"), [
    ("Small left pleural effusion.", "pleural effusion",
     {"laterality": "left", "severity": "small"}),
    ("Moderate right pneumothorax.", "pneumothorax",
     {"laterality": "right", "severity": "moderate"}),
    ("Bilateral pleural effusions.", "pleural effusions", {"laterality": "bilateral"}),
    ("Left and right pleural effusions, unchanged from prior.", "pleural effusions",
     {"laterality": "bilateral", "temporal": "unchanged"}),
    ("Bibasilar atelectasis.", "atelectasis", {"laterality": "bilateral", "location": "bibasilar"}),
    ("Heart size is mildly enlarged.", "heart size is mildly enlarged", {"severity": "mild"}),
    ("Mild to moderate cardiomegaly.", "cardiomegaly", {"severity": "moderate"}),
    ("2.3 x 1.5 cm nodule in the left upper lobe.", "nodule",
     {"laterality": "left", "size": "2.3 x 1.5 cm", "location": "left upper lobe"}),
    ("A 6 mm nodule.", "nodule", {"size": "6 mm"}),
    ("RLL consolidation.", "consolidation",
     {"laterality": "right", "location": "right lower lobe"}),
    ("New right apical pneumothorax.", "pneumothorax",
     {"laterality": "right", "location": "apical", "temporal": "new"}),
    ("Interval increase in the right pleural effusion.", "pleural effusion",
     {"laterality": "right", "temporal": "increased"}),
    ("Small left pleural effusion, increased since the prior study.", "pleural effusion",
     {"laterality": "left", "severity": "small", "temporal": "increased"}),
    ("Stable cardiomegaly.", "cardiomegaly", {"temporal": "unchanged"}),
    ("The pleural effusion has resolved.", "pleural effusion", {"temporal": "resolved"}),
    ("Retrocardiac opacity.", "opacity", {"location": "retrocardiac"}),
])
def test_modifiers_next_to_the_mention(sentence: str, mention: str,
                                       expected: dict[str, str]) -> None:
    assert read(sentence, mention) == expected


def test_each_finding_keeps_its_own_modifiers() -> None:
    sentence = "Small left pleural effusion and large right pneumothorax."
    assert read(sentence, "pleural effusion") == {"laterality": "left", "severity": "small"}
    assert read(sentence, "pneumothorax") == {"laterality": "right", "severity": "large"}


def test_a_modifier_of_the_next_clause_is_not_borrowed() -> None:
    assert read("Heart is mildly enlarged, with left pleural effusion.", "heart is mildly") == {
        "severity": "mild"}
    assert read("Cardiomegaly, new left effusion.", "cardiomegaly") == {}
    assert read("Left lung is clear but there is cardiomegaly.", "cardiomegaly") == {}


def test_an_interpretation_takes_the_location_of_what_it_interprets() -> None:
    assert read("Opacity in the right lower lobe, likely pneumonia.", "pneumonia") == {
        "laterality": "right", "location": "right lower lobe"}
    assert read("Left lower lobe airspace disease consistent with pneumonia.", "pneumonia") == {
        "laterality": "left", "location": "left lower lobe"}


@pytest.mark.parametrize(("sentence", "mention", "expected"), [
    ("ET tube tip 4 cm above the carina.", "ET tube",
     {"device_type": "endotracheal tube", "tip_position": "4 cm above the carina"}),
    ("Right PICC terminates at the cavoatrial junction.", "PICC",
     {"laterality": "right", "device_type": "picc", "tip_position": "at the cavoatrial junction"}),
    ("Enteric tube courses below the diaphragm with tip in the stomach.", "enteric tube",
     {"device_type": "nasogastric tube", "tip_position": "in the stomach"}),
    ("Left chest wall pacemaker with leads in the right ventricle.", "pacemaker",
     {"laterality": "left", "device_type": "pacemaker", "tip_position": "in the right ventricle"}),
    ("The endotracheal tube is malpositioned.", "endotracheal tube",
     {"device_type": "endotracheal tube", "tip_position": "malpositioned"}),
])
def test_devices_and_tip_position(sentence: str, mention: str, expected: dict[str, str]) -> None:
    assert read(sentence, mention) == expected


def test_each_device_keeps_its_own_tip() -> None:
    sentence = "ET tube 4 cm above the carina, NG tube in the stomach."
    assert read(sentence, "ET tube")["tip_position"] == "4 cm above the carina"
    assert read(sentence, "NG tube")["tip_position"] == "in the stomach"
    assert "size" not in read(sentence, "ET tube")  # a distance to a landmark is not a size


def test_no_modifiers_give_empty_attributes() -> None:
    assert extract_attributes(sentence="Cardiomegaly.", mention_start=0,
                              mention_end=12) == Attributes()
    assert not extract_attributes(sentence="", mention_start=0, mention_end=0)
