"""Content checks for the shipped labelsets and mappings (labelsets/*.yaml, labelsets/mappings/).

These tests read the files through the public loaders and check properties that the schema
alone cannot: label order and display names, phrase hygiene, exclusions that can actually fire,
mappings that reach every label they should. Checks against the real IU / Open-i files skip
when ../shared/data is absent.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from radprompt.extractors.rules import compile_phrases
from radprompt.labelset import LabelSet, available_mappings, load_labelset, load_mapping

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Ran Score's 21 labels in their published order: (id, exact display name).
CHESTXRAY21 = [
    ("atelectasis", "Atelectasis"),
    ("cardiomegaly", "Cardiomegaly"),
    ("consolidation", "Consolidation"),
    ("edema", "Edema"),
    ("enlarged_cardiomediastinum", "Enlarged Cardiomediastinum"),
    ("fracture", "Fracture"),
    ("lung_lesion", "Lung Lesion"),
    ("no_finding", "No Finding"),
    ("pleural_effusion", "Pleural Effusion"),
    ("pleural_other", "Pleural Other"),
    ("lung_opacity", "Lung Opacity"),
    ("pneumonia", "Pneumonia"),
    ("pneumothorax", "Pneumothorax"),
    ("support_devices", "Support Devices"),
    ("emphysema", "emphysema"),
    ("interstitial_lung_disease", "interstitial lung disease"),
    ("calcification", "calcification(lung and mediastinal)"),
    ("trachea_and_bronchus", "Trachea and bronchus"),
    ("cavity_and_cyst", "cavity and cyst"),
    ("mediastinal_other", "mediastinal other"),
    ("pulmonary_vascular_abnormal", "pulmonary vascular abnormal"),
]

# CheXpert's 14 observations in CheXpert's order.
CHEXPERT14 = [
    ("no_finding", "No Finding"),
    ("enlarged_cardiomediastinum", "Enlarged Cardiomediastinum"),
    ("cardiomegaly", "Cardiomegaly"),
    ("lung_opacity", "Lung Opacity"),
    ("lung_lesion", "Lung Lesion"),
    ("edema", "Edema"),
    ("consolidation", "Consolidation"),
    ("pneumonia", "Pneumonia"),
    ("atelectasis", "Atelectasis"),
    ("pneumothorax", "Pneumothorax"),
    ("pleural_effusion", "Pleural Effusion"),
    ("pleural_other", "Pleural Other"),
    ("fracture", "Fracture"),
    ("support_devices", "Support Devices"),
]

# Header of NegBio's Open-i gold file (iu-openi/openi_gld_std14.csv), label columns only.
CHESTXRAY14_COLUMNS = [
    "Atelectasis",
    "Cardiomegaly",
    "Effusion",
    "Infiltration",
    "Mass",
    "Nodule",
    "Pneumonia",
    "Pneumothorax",
    "Consolidation",
    "Edema",
    "Emphysema",
    "Fibrosis",
    "Pleural_Thickening",
    "Hernia",
    "normal",
]

MAPPINGS = [
    "chexpert14_to_chestxray21",
    "chestxray21_to_chexpert14",
    "chestxray14_to_chestxray21",
    "iu_mesh_to_chestxray21",
]

LABELSETS = ["chestxray21", "chexpert14"]


@pytest.fixture(scope="module")
def chestxray21() -> LabelSet:
    return load_labelset("chestxray21")


@pytest.fixture(scope="module")
def chexpert14() -> LabelSet:
    return load_labelset("chexpert14")


@pytest.fixture(scope="module")
def iu_openi() -> Path:
    folder = SHARED_DATA / "iu-openi"
    if not folder.is_dir():
        pytest.skip(
            f"IU / Open-i reference data not found at {folder} (needs ../shared beside "
            "the checkout)"
        )
    return folder


@pytest.fixture(scope="module")
def iu_mesh_terms(iu_openi: Path) -> Counter[str]:
    """Major MeSH term -> number of IU reports indexed with it (the reader's key rule)."""
    counts: Counter[str] = Counter()
    with (iu_openi / "indiana_reports.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            terms = {code.split("/", 1)[0].strip() for code in row["MeSH"].split(";")}
            counts.update(term for term in terms if term)
    return counts


def _all_phrases(labelset: LabelSet) -> list[str]:
    phrases = [p for label in labelset.labels for p in (*label.mention_phrases, *label.exclusions)]
    for name in type(labelset.cues).model_fields:
        value = getattr(labelset.cues, name)
        if isinstance(value, tuple):
            phrases.extend(value)
    return phrases


# --- chestxray21 -------------------------------------------------------------------------


def test_chestxray21_has_the_21_labels_in_order_with_exact_names(chestxray21):
    assert [(label.id, label.name) for label in chestxray21.labels] == CHESTXRAY21


def test_chestxray21_describes_itself(chestxray21):
    assert chestxray21.name == "chestxray21"
    assert chestxray21.version
    assert "Ran Score" in chestxray21.description
    assert "CheXpert" in chestxray21.description
    assert chestxray21.min_support == 5
    assert chestxray21.cues.scope_tokens == 8


def test_chexpert14_has_the_14_labels_in_chexpert_order(chexpert14):
    assert [(label.id, label.name) for label in chexpert14.labels] == CHEXPERT14


def test_chexpert14_labels_are_the_first_14_of_chestxray21(chestxray21, chexpert14):
    first14 = {(label.id, label.name) for label in chestxray21.labels[:14]}
    assert {(label.id, label.name) for label in chexpert14.labels} == first14


def test_both_labelsets_share_the_same_cues(chestxray21, chexpert14):
    assert chexpert14.cues == chestxray21.cues


# --- every labelset ----------------------------------------------------------------------


@pytest.mark.parametrize("name", LABELSETS)
def test_only_no_finding_is_derived_and_it_has_no_phrases(name):
    labelset = load_labelset(name)
    derived = [label for label in labelset.labels if label.derived is not None]
    assert [label.id for label in derived] == ["no_finding"]
    assert derived[0].derived == "no_other_positive"
    assert not derived[0].mention_phrases
    assert not derived[0].exclusions


@pytest.mark.parametrize("name", LABELSETS)
def test_every_extracted_label_has_core_phrases_definition_and_notes(name):
    for label in load_labelset(name).labels:
        assert label.definition.strip(), label.id
        assert label.notes.strip(), label.id
        if label.derived is None:
            assert label.phrases, f"{label.id} has no core phrases"
            assert len(label.mention_phrases) >= 4, label.id


@pytest.mark.parametrize("name", LABELSETS)
def test_thresholds_and_uncertainty_policy_follow_ran_score(name):
    for label in load_labelset(name).labels:
        assert label.threshold == pytest.approx(0.9), label.id
        assert label.uncertainty_policy == "positive", label.id


@pytest.mark.parametrize("name", LABELSETS)
def test_phrases_and_cues_are_lowercase_and_trimmed(name):
    for phrase in _all_phrases(load_labelset(name)):
        assert phrase == phrase.strip().lower(), repr(phrase)
        assert "  " not in phrase, repr(phrase)


@pytest.mark.parametrize("name", LABELSETS)
def test_no_label_repeats_a_phrase(name):
    for label in load_labelset(name).labels:
        phrases = [*label.phrases, *label.synonyms]
        repeated = [p for p, n in Counter(phrases).items() if n > 1]
        assert not repeated, f"{label.id}: {repeated}"
        assert not set(label.exclusions) & set(phrases), label.id


@pytest.mark.parametrize("name", LABELSETS)
def test_every_exclusion_contains_a_mention_of_its_label(name):
    """An exclusion only hides mentions inside it; one without a mention is dead weight."""
    for label in load_labelset(name).labels:
        mentions = compile_phrases(label.mention_phrases, plural=True)
        for exclusion in label.exclusions:
            assert mentions is not None and mentions.search(exclusion), (
                f"{label.id}: exclusion {exclusion!r} contains none of its mention phrases"
            )


@pytest.mark.parametrize("name", LABELSETS)
def test_generic_words_are_not_mention_phrases(name):
    too_generic = {"opacity", "mass", "nodule", "effusion"}
    owners = {
        "opacity": "lung_opacity",
        "mass": "lung_lesion",
        "nodule": "lung_lesion",
        "effusion": "pleural_effusion",
    }
    for label in load_labelset(name).labels:
        for word in too_generic & set(label.mention_phrases):
            assert label.id == owners[word], f"{word!r} belongs to {owners[word]}, not {label.id}"
        assert not {"lesion", "line", "abnormality", "disease"} & set(label.mention_phrases)


def test_key_exclusions_keep_lookalike_findings_apart(chestxray21):
    def excluded(label_id: str, text: str) -> bool:
        pattern = compile_phrases(chestxray21.get(label_id).exclusions, plural=True)
        return pattern is not None and pattern.fullmatch(text) is not None

    assert excluded("pleural_effusion", "pericardial effusion")
    assert excluded("emphysema", "subcutaneous emphysema")
    assert excluded("lung_lesion", "calcified nodules")
    assert excluded("lung_lesion", "mediastinal mass")
    assert excluded("interstitial_lung_disease", "cystic fibrosis")
    assert excluded("pneumonia", "interstitial pneumonia")
    assert excluded("fracture", "fractured sternal wires")


# --- mappings ----------------------------------------------------------------------------


def test_every_mapping_is_shipped_and_named_after_its_file():
    shipped = {path.stem: path for path in available_mappings()}
    for name in MAPPINGS:
        assert name in shipped, f"labelsets/mappings/{name}.yaml is missing"
        mapping = load_mapping(name)
        assert mapping.name == name
        assert mapping.description.strip()
        assert all(targets for targets in mapping.map.values()), name


def test_chexpert14_maps_every_label_onto_itself(chexpert14, chestxray21):
    mapping = load_mapping("chexpert14_to_chestxray21")
    assert (mapping.source, mapping.target) == ("chexpert14", "chestxray21")
    for label in chexpert14.labels:
        assert mapping.map.get(label.id) == (label.id,), label.id
    assert set(mapping.covered_targets()) == {label.id for label in chexpert14.labels}


def test_chestxray21_to_chexpert14_maps_shared_labels_and_explains_the_rest(
    chestxray21, chexpert14
):
    mapping = load_mapping("chestxray21_to_chexpert14")
    assert (mapping.source, mapping.target) == ("chestxray21", "chexpert14")
    shared = {label.id for label in chexpert14.labels}
    for label in chestxray21.labels:
        if label.id in shared:
            assert mapping.map[label.id] == (label.id,), label.id
        else:
            assert label.id in mapping.map or label.id in mapping.notes, (
                f"{label.id} is neither mapped nor explained"
            )
    assert mapping.map["interstitial_lung_disease"] == ("lung_opacity",)
    assert "emphysema" not in mapping.map
    assert "calcification" not in mapping.map


def test_chestxray14_mapping_covers_every_column():
    mapping = load_mapping("chestxray14_to_chestxray21")
    assert (mapping.source, mapping.target) == ("chestxray14", "chestxray21")
    assert sorted(mapping.map) == sorted(CHESTXRAY14_COLUMNS)
    assert mapping.map["normal"] == ("no_finding",)
    assert mapping.map["Effusion"] == ("pleural_effusion",)
    assert mapping.map["Fibrosis"] == ("interstitial_lung_disease",)
    assert mapping.map["Pleural_Thickening"] == ("pleural_other",)


def test_iu_mesh_mapping_covers_the_core_findings():
    mapping = load_mapping("iu_mesh_to_chestxray21")
    assert (mapping.source, mapping.target) == ("iu_mesh", "chestxray21")
    expected = {
        "normal": "no_finding",
        "Cardiomegaly": "cardiomegaly",
        "Calcified Granuloma": "calcification",
        "Calcinosis": "calcification",
        "Emphysema": "emphysema",
        "Pulmonary Emphysema": "emphysema",
        "Pleural Effusion": "pleural_effusion",
        "Pneumothorax": "pneumothorax",
        "Pulmonary Atelectasis": "atelectasis",
        "Catheters, Indwelling": "support_devices",
        "Fractures, Bone": "fracture",
        "Nodule": "lung_lesion",
        "Pulmonary Fibrosis": "interstitial_lung_disease",
        "Opacity": "lung_opacity",
        "Consolidation": "consolidation",
        "Pneumonia": "pneumonia",
        "Pulmonary Edema": "edema",
    }
    for term, target in expected.items():
        assert target in mapping.map.get(term, ()), f"{term!r} should map to {target!r}"
    assert "Subcutaneous Emphysema" not in mapping.map
    assert set(mapping.covered_targets()) == {label_id for label_id, _ in CHESTXRAY21}


# --- against the real reference files ------------------------------------------------------


def test_chestxray14_columns_match_the_negbio_gold_header(iu_openi):
    with (iu_openi / "openi_gld_std14.csv").open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["filename", *CHESTXRAY14_COLUMNS]


def test_iu_mesh_mapping_keys_are_terms_of_the_data(iu_mesh_terms):
    mapping = load_mapping("iu_mesh_to_chestxray21")
    unknown = sorted(set(mapping.map) - set(iu_mesh_terms))
    assert not unknown, f"not a major MeSH term of indiana_reports.csv: {unknown}"
    unknown_notes = sorted(set(mapping.notes) - set(iu_mesh_terms))
    assert not unknown_notes, f"notes about terms absent from the data: {unknown_notes}"


def test_every_frequent_iu_term_is_mapped_or_explained(iu_mesh_terms):
    mapping = load_mapping("iu_mesh_to_chestxray21")
    frequent = [term for term, count in iu_mesh_terms.items() if count >= 5]
    unexplained = sorted(t for t in frequent if t not in mapping.map and t not in mapping.notes)
    assert not unexplained, f"frequent MeSH terms neither mapped nor explained: {unexplained}"
    assert iu_mesh_terms["normal"] > 1000
    assert iu_mesh_terms["Cardiomegaly"] >= 300


def test_iu_mesh_mapping_reaches_most_indexed_findings(iu_openi):
    """Most abnormal IU reports carry a code that lands on a chestxray21 label.

    The rest (about 18%) carry only codes outside the taxonomy (degenerative spine, scoliosis).
    """
    mapping = load_mapping("iu_mesh_to_chestxray21")
    indexed = reached = 0
    with (iu_openi / "indiana_reports.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            terms = {code.split("/", 1)[0].strip() for code in row["MeSH"].split(";")}
            if terms & {"normal", "No Indexing"}:
                continue
            indexed += 1
            reached += any(mapping.map.get(term) for term in terms)
    assert reached / indexed > 0.8


def test_mesh_terms_have_no_stray_whitespace_in_keys():
    mapping = load_mapping("iu_mesh_to_chestxray21")
    for term in (*mapping.map, *mapping.notes):
        assert term == term.strip() and not re.search(r"\s{2}", term), repr(term)
