"""Hand-written findings sentences of the demo corpus: label -> state -> phrases.

Written by the radprompt authors for this synthetic corpus; no sentence is copied from a real
report. The key label and state of each list must appear in every phrase's annotation; other
labels a phrase names are annotated beside it (see ``phrases.py`` for the mini-language).
"""

from __future__ import annotations

from phrases import Phrase, p

# ---------------------------------------------------------------------------------------------
# Findings banks: label -> state -> phrases (the label is the phrase's primary label)
# ---------------------------------------------------------------------------------------------
FINDINGS: dict[str, dict[str, list[Phrase]]] = {
    "atelectasis": {
        "present": [
            p("{base} atelectasis.", "atelectasis+"),
            p("There is {mild} {base} atelectasis.", "atelectasis+"),
            p(
                "Linear opacity at the {side} lung base{s}, consistent with subsegmental "
                "atelectasis.",
                "atelectasis+ lung_opacity+",
                p("{base} subsegmental atelectasis.", "atelectasis+"),
            ),
            p("Plate-like atelectasis is seen in the {region}.", "atelectasis+"),
            p("Discoid atelectasis at the {side} base{s}.", "atelectasis+"),
            p(
                "Volume loss in the {lobe} with associated collapse.",
                "atelectasis+",
                "{lobe} collapse.",
            ),
            p("Complete collapse of the {lobe}.", "atelectasis+", "{lobe} collapse."),
            p("Minimal dependent atelectasis is present at the lung bases.", "atelectasis+"),
            p(
                "Low lung volumes with crowding of the bronchovascular markings and {base} "
                "atelectasis.",
                "atelectasis+",
            ),
            p("{base} subsegmental atelectasis is again noted.", "atelectasis+"),
            p("Persistent {lobe} collapse.", "atelectasis+", "Persistent {lobe} collapse."),
            p("Atelectatic changes are present at the {side} lung base{s}.", "atelectasis+"),
            p(
                "Elevation of the {side} hemidiaphragm with adjacent {mild} atelectasis.",
                "atelectasis+",
            ),
            p("No significant change in the {base} atelectasis.", "atelectasis+"),
            p(
                "Retrocardiac opacity with silhouetting of the left hemidiaphragm, consistent "
                "with left lower lobe atelectasis.",
                "atelectasis+ lung_opacity+",
                p("Left lower lobe atelectasis.", "atelectasis+"),
            ),
        ],
        "uncertain": [
            p(
                "{base} opacity, likely atelectasis.",
                "atelectasis? lung_opacity+",
                p("{base} opacity, likely atelectasis.", "atelectasis? lung_opacity+"),
            ),
            p(
                "Hazy opacity at the {side} base{s}, which may represent atelectasis.",
                "atelectasis? lung_opacity+",
                p("Possible {base} atelectasis.", "atelectasis?"),
            ),
            p("Probable {mild} {base} atelectasis.", "atelectasis?"),
            p("Possible subsegmental atelectasis in the {region}.", "atelectasis?"),
            p(
                "Subtle {base} density, questionably atelectasis.",
                "atelectasis? lung_opacity+",
            ),
            p(
                "Streaky {base} opacities are most likely atelectatic.",
                "atelectasis? lung_opacity+",
            ),
            p(
                "Linear {base} opacity, scarring or atelectasis.",
                "atelectasis? lung_opacity+",
            ),
        ],
        "absent": [
            p("No atelectasis.", "atelectasis-"),
            p("There is no evidence of lobar collapse.", "atelectasis-"),
            p("The previously noted {base} atelectasis has resolved.", "atelectasis-"),
            p("Interval resolution of the {lobe} collapse.", "atelectasis-"),
            p("Atelectasis is not seen.", "atelectasis-"),
            p("No focal atelectasis or consolidation.", "atelectasis- consolidation-"),
            p("The lungs are well expanded without atelectasis.", "atelectasis- !emphysema"),
        ],
    },
    "cardiomegaly": {
        "present": [
            p("The heart is enlarged.", "cardiomegaly+", "Cardiomegaly."),
            p("{degree} cardiomegaly.", "cardiomegaly+"),
            p(
                "The cardiac silhouette is {degree}ly enlarged in transverse diameter.",
                "cardiomegaly+",
            ),
            p("Enlarged cardiac silhouette.", "cardiomegaly+", "Cardiomegaly."),
            p("Heart size is {degree}ly increased.", "cardiomegaly+"),
            p("Stable {degree} enlargement of the cardiac silhouette.", "cardiomegaly+"),
            p("No change in the {degree} cardiomegaly.", "cardiomegaly+"),
            p(
                "The heart remains enlarged, not significantly changed.",
                "cardiomegaly+",
                "Stable cardiomegaly.",
            ),
            p("There is cardiomegaly with a left ventricular configuration.", "cardiomegaly+"),
            p(
                "Cardiothoracic ratio exceeds 0.5, in keeping with cardiac enlargement.",
                "cardiomegaly+",
                "Cardiomegaly.",
            ),
            p("Globular enlargement of the cardiac silhouette.", "cardiomegaly+"),
        ],
        "uncertain": [
            p("Heart size is borderline enlarged.", "cardiomegaly?", "Borderline cardiomegaly."),
            p(
                "Possible mild cardiomegaly, accentuated by AP technique.",
                "cardiomegaly?",
                "Possible mild cardiomegaly.",
            ),
            p("The cardiac silhouette may be mildly enlarged.", "cardiomegaly?"),
            p(
                "Apparent enlargement of the cardiac silhouette may be due to low lung volumes.",
                "cardiomegaly?",
            ),
            p(
                "Enlarged cardiac silhouette, which could reflect cardiomegaly or pericardial "
                "effusion.",
                "cardiomegaly? mediastinal_other?",
            ),
            p("Heart size is at the upper limits of normal to mildly enlarged.", "cardiomegaly?"),
        ],
        "absent": [
            p("No cardiomegaly.", "cardiomegaly-"),
            p("The heart is not enlarged.", "cardiomegaly-"),
            p("Heart size is normal.", "cardiomegaly-"),
            p("The cardiac silhouette is within normal limits for size.", "cardiomegaly-"),
            p("Previously noted cardiomegaly is no longer evident.", "cardiomegaly-"),
        ],
    },
    "consolidation": {
        "present": [
            p("Focal consolidation in the {lobe}.", "consolidation+", "{lobe} consolidation."),
            p("{lobe} consolidation.", "consolidation+"),
            p(
                "Dense consolidation of the {lobe} with air bronchograms.",
                "consolidation+",
                "{lobe} consolidation.",
            ),
            p("Airspace consolidation is present in the {lobe}.", "consolidation+"),
            p("Patchy consolidation at the {side} lung base{s}.", "consolidation+"),
            p(
                "There is consolidation of the lingula silhouetting the left heart border.",
                "consolidation+",
                "Lingular consolidation.",
            ),
            p("Persistent {lobe} consolidation.", "consolidation+"),
            p("Confluent consolidation involving most of the {lobe}.", "consolidation+"),
            p(
                "No pneumothorax. There is, however, consolidation in the {lobe}.",
                "consolidation+ pneumothorax-",
                p("{lobe} consolidation.", "consolidation+"),
            ),
        ],
        "uncertain": [
            p("Possible early consolidation at the {side} base{s}.", "consolidation?"),
            p(
                "Subtle opacity at the {side} lung base{s}; consolidation cannot be excluded.",
                "consolidation? lung_opacity+",
            ),
            p(
                "Ill-defined opacity in the {lobe}, which could represent consolidation.",
                "consolidation? lung_opacity+",
                p("Possible {lobe} consolidation.", "consolidation?"),
            ),
            p(
                "{base} opacity, atelectasis versus consolidation.",
                "consolidation? atelectasis? lung_opacity+",
                p("{base} atelectasis versus consolidation.", "consolidation? atelectasis?"),
            ),
            p("Questionable focal consolidation in the {lobe}.", "consolidation?"),
        ],
        "absent": [
            p("No focal consolidation.", "consolidation-"),
            p("Focal consolidation is not present.", "consolidation-"),
            p("The lungs are free of consolidation.", "consolidation-"),
            p("The {lobe} consolidation has cleared.", "consolidation-"),
            p("No new or worsening consolidation.", "consolidation-"),
            p("There is no consolidation to suggest infection.", "consolidation- pneumonia-"),
        ],
    },
    "edema": {
        "present": [
            p("{degree} pulmonary edema.", "edema+"),
            p("Interstitial pulmonary edema.", "edema+"),
            p(
                "Diffuse bilateral interstitial and alveolar opacities consistent with pulmonary "
                "edema.",
                "edema+ lung_opacity+",
                p("Pulmonary edema.", "edema+"),
            ),
            p(
                "Kerley B lines are present at the lung bases.",
                "edema+",
                "Interstitial edema.",
            ),
            p(
                "Indistinct perihilar vessels compatible with {mild} interstitial edema.",
                "edema+",
                "{mild} interstitial edema.",
            ),
            p("Alveolar edema in a perihilar, batwing distribution.", "edema+"),
            p("Worsening pulmonary edema.", "edema+"),
            p(
                "Persistent {degree} pulmonary edema, not significantly changed.",
                "edema+",
                "Unchanged {degree} pulmonary edema.",
            ),
            p(
                "Pulmonary vascular congestion with interstitial edema.",
                "edema+ pulmonary_vascular_abnormal+",
                p("Interstitial edema.", "edema+"),
            ),
            p(
                "Cardiomegaly with vascular congestion and {mild} interstitial edema, "
                "consistent with CHF.",
                "edema+ cardiomegaly+ pulmonary_vascular_abnormal+",
                p("Findings consistent with CHF with {mild} interstitial edema.", "edema+"),
            ),
            p("Improving but persistent {mild} pulmonary edema.", "edema+"),
            p("Septal lines at both bases, in keeping with interstitial edema.", "edema+"),
        ],
        "uncertain": [
            p("Possible mild interstitial edema.", "edema?"),
            p(
                "Hazy bilateral opacities may reflect edema or infection.",
                "edema? pneumonia? lung_opacity+",
                p("Edema versus infection.", "edema? pneumonia?"),
            ),
            p("Early pulmonary edema cannot be excluded.", "edema?"),
            p("Findings may represent mild fluid overload.", "edema?"),
            p(
                "Perihilar opacities, edema versus atypical infection.",
                "edema? pneumonia? lung_opacity+",
            ),
            p("Probable mild interstitial edema.", "edema?"),
            p("Interstitial prominence suggestive of early edema.", "edema?"),
        ],
        "absent": [
            p("No pulmonary edema.", "edema-"),
            p("There is no evidence of edema.", "edema-"),
            p("Interval resolution of the pulmonary edema.", "edema-"),
            p("The previously seen edema has cleared.", "edema-"),
            p("No overt pulmonary edema.", "edema-"),
            p("No new or worsening edema.", "edema-"),
        ],
    },
    "enlarged_cardiomediastinum": {
        "present": [
            p("The cardiomediastinal silhouette is enlarged.", "enlarged_cardiomediastinum+"),
            p(
                "Widening of the superior mediastinum.",
                "enlarged_cardiomediastinum+",
                "Mediastinal widening.",
            ),
            p(
                "Mediastinal widening is again seen, unchanged.",
                "enlarged_cardiomediastinum+",
                "Stable mediastinal widening.",
            ),
            p("Enlarged cardiomediastinal contours.", "enlarged_cardiomediastinum+"),
            p(
                "The mediastinum is widened, measuring 9 cm at the level of the aortic knob.",
                "enlarged_cardiomediastinum+",
                "Widened mediastinum.",
            ),
            p(
                "Prominent cardiomediastinal silhouette, stable in configuration.",
                "enlarged_cardiomediastinum+",
            ),
            p(
                "Interval widening of the mediastinum since the prior study.",
                "enlarged_cardiomediastinum+",
            ),
        ],
        "uncertain": [
            p(
                "The mediastinum appears widened, possibly accentuated by AP portable technique.",
                "enlarged_cardiomediastinum?",
            ),
            p("Questionable mediastinal widening.", "enlarged_cardiomediastinum?"),
            p(
                "Possible enlargement of the cardiomediastinal silhouette, limited by rotation.",
                "enlarged_cardiomediastinum?",
            ),
            p(
                "The upper mediastinum may be mildly widened; this could be positional.",
                "enlarged_cardiomediastinum?",
            ),
        ],
        "absent": [
            p("The mediastinum is not widened.", "enlarged_cardiomediastinum-"),
            p("No mediastinal widening.", "enlarged_cardiomediastinum-"),
            p(
                "The cardiomediastinal silhouette is not enlarged.",
                "enlarged_cardiomediastinum-",
            ),
        ],
    },
    "fracture": {
        "present": [
            p(
                "Acute displaced fracture of the {side} {ribnum} rib.",
                "fracture+",
                "Acute {side} {ribnum} rib fracture.",
            ),
            p(
                "Nondisplaced fractures of the {side} {ribrange} ribs.",
                "fracture+",
                "{side} {ribrange} rib fractures.",
            ),
            p("Healed {side} rib fracture deformities.", "fracture+"),
            p("Old healed fracture of the {side} clavicle.", "fracture+"),
            p(
                "Mild compression deformity of the {vert} vertebral body.",
                "fracture+",
                "{vert} compression deformity.",
            ),
            p(
                "Chronic wedge compression fracture at {vert}, unchanged.",
                "fracture+",
                "Unchanged {vert} compression fracture.",
            ),
            p(
                "Remote {side} {ribnum} rib fracture with callus formation.",
                "fracture+",
            ),
            p("Minimally displaced fracture of the {side} clavicle.", "fracture+"),
            p("Unchanged {vert} compression deformity.", "fracture+"),
            p(
                "Acute-appearing fracture of the lateral {side} {ribnum} rib.",
                "fracture+",
                "Acute {side} {ribnum} rib fracture.",
            ),
            p("Fracture of the sternal body is seen on the lateral view.", "fracture+"),
            p("Multiple old {side} rib fractures.", "fracture+"),
            p(
                "Displaced {side} {ribnum} rib fracture with a {ptx} adjacent pneumothorax and "
                "subcutaneous emphysema along the {side} chest wall.",
                "fracture+ pneumothorax+",
                p(
                    "{side} {ribnum} rib fracture with {ptx} pneumothorax.",
                    "fracture+ pneumothorax+",
                ),
            ),
            p(
                "Interval healing of the {side} {ribrange} rib fractures.",
                "fracture+",
            ),
        ],
        "uncertain": [
            p(
                "Questionable nondisplaced fracture of the {side} {ribnum} rib.",
                "fracture?",
                "Possible {side} {ribnum} rib fracture.",
            ),
            p(
                "Cortical irregularity of the {side} {ribnum} rib may represent a nondisplaced "
                "fracture.",
                "fracture?",
            ),
            p("Possible mild compression deformity of {vert}, age indeterminate.", "fracture?"),
            p(
                "Subtle lucency through the {side} clavicle; a nondisplaced fracture cannot be "
                "excluded.",
                "fracture?",
            ),
            p(
                "Suspected fracture of the {side} {ribnum} rib; dedicated rib films may help.",
                "fracture?",
            ),
            p(
                "Slight loss of height of {vert}, which could reflect a compression fracture.",
                "fracture?",
            ),
        ],
        "absent": [
            p("No acute displaced rib fracture.", "fracture-"),
            p("No fracture is identified.", "fracture-"),
            p("Osseous structures are intact without fracture.", "fracture-"),
            p("There is no evidence of acute fracture.", "fracture-"),
            p("The ribs are free of fracture.", "fracture-"),
            p("No displaced fractures are seen.", "fracture-"),
        ],
    },
    "lung_lesion": {
        "present": [
            p(
                "{nodsize} nodule in the {region}.",
                "lung_lesion+",
                "{nodsize} {side} pulmonary nodule; CT is recommended for further evaluation.",
            ),
            p(
                "Spiculated {masssize} mass in the {lobe}.",
                "lung_lesion+",
                "{lobe} mass, concerning for malignancy.",
            ),
            p(
                "Multiple bilateral pulmonary nodules, consistent with metastatic disease.",
                "lung_lesion+",
                "Pulmonary metastases.",
            ),
            p(
                "There is a {nodsize} nodular opacity projecting over the {region}.",
                "lung_lesion+ lung_opacity+",
                p("{side} lung nodule.", "lung_lesion+"),
            ),
            p(
                "A lobulated {masssize} mass is seen in the {side} hilar region.",
                "lung_lesion+",
                "{side} hilar mass.",
            ),
            p("Stable {nodsize} nodule in the {lobe}.", "lung_lesion+"),
            p("Known {lobe} mass is unchanged in size.", "lung_lesion+"),
            p(
                "Rounded {masssize} opacity in the {lobe}, compatible with a mass.",
                "lung_lesion+ lung_opacity+",
                p("{lobe} mass.", "lung_lesion+"),
            ),
            p("Innumerable small nodules throughout both lungs.", "lung_lesion+"),
            p(
                "Noncalcified {nodsize} nodule in the {region}.",
                "lung_lesion+ calcification-",
                p("{nodsize} noncalcified {side} lung nodule.", "lung_lesion+ calcification-"),
            ),
            p(
                "Increasing size of the {lobe} mass, now {masssize}.",
                "lung_lesion+",
            ),
            p("Pancoast tumor at the {side} apex.", "lung_lesion+"),
            p("Solitary pulmonary nodule in the {region}.", "lung_lesion+"),
            p(
                "Mass-like opacity in the {lobe}.",
                "lung_lesion+ lung_opacity+",
                p("{lobe} mass.", "lung_lesion+"),
            ),
            p("Known bronchogenic carcinoma in the {lobe}.", "lung_lesion+"),
            p("Enlarging pulmonary metastases in both lungs.", "lung_lesion+"),
        ],
        "uncertain": [
            p(
                "Possible nodule in the {region}; CT could be obtained for further evaluation.",
                "lung_lesion?",
            ),
            p(
                "Rounded opacity in the {region}, which could represent a nodule versus "
                "overlapping vessels.",
                "lung_lesion? lung_opacity+",
            ),
            p("Questionable {nodsize} nodule in the {region}.", "lung_lesion?"),
            p(
                "Fullness of the {side} hilum; an underlying mass cannot be excluded.",
                "lung_lesion?",
                "{side} hilar fullness, cannot exclude mass.",
            ),
            p(
                "Ill-defined density in the {region}, suspicious for a neoplasm.",
                "lung_lesion? lung_opacity+",
            ),
        ],
        "absent": [
            p("No suspicious pulmonary nodule or mass is seen.", "lung_lesion-"),
            p("No discrete pulmonary mass.", "lung_lesion-"),
            p(
                "The previously described {region} nodule is not seen on the current exam.",
                "lung_lesion-",
            ),
            p("Bilateral nipple shadows are noted; no pulmonary nodule.", "lung_lesion-"),
            p("There is no evidence of a lung mass.", "lung_lesion-"),
        ],
    },
    "pleural_effusion": {
        "present": [
            p("{size} {side} pleural effusion{s}.", "pleural_effusion+"),
            p(
                "There {is_are} {a}{size} {side} pleural effusion{s} layering posteriorly.",
                "pleural_effusion+",
            ),
            p(
                "Blunting of the {side} costophrenic angle{s}, consistent with small pleural "
                "effusion{s}.",
                "pleural_effusion+",
                "Small {side} pleural effusion{s}.",
            ),
            p("Layering {side} pleural fluid.", "pleural_effusion+"),
            p(
                "Loculated {side} pleural effusion, {size} in size.",
                "pleural_effusion+",
                "Loculated {side} pleural effusion.",
            ),
            p(
                "Fluid tracks into the {side} major fissure.",
                "pleural_effusion+",
                "{side} pleural effusion.",
            ),
            p(
                "Subpulmonic {side} effusion with lateral peaking of the hemidiaphragm.",
                "pleural_effusion+",
                "Subpulmonic {side} pleural effusion.",
            ),
            p(
                "The {side} pleural effusion{s} {is_are} larger than on the prior study.",
                "pleural_effusion+",
            ),
            p("Unchanged {size} {side} pleural effusion{s}.", "pleural_effusion+"),
            p(
                "The {size} {side} pleural effusion{s} {is_are} not significantly changed.",
                "pleural_effusion+",
                "Stable {size} {side} pleural effusion{s}.",
            ),
            p(
                "No pneumothorax, but there is a {size} {side} pleural effusion.",
                "pleural_effusion+ pneumothorax-",
                p("{size} {side} pleural effusion.", "pleural_effusion+"),
            ),
            p(
                "{size} {side} pleural effusion. No effusion on the {opp}.",
                "pleural_effusion+",
                p("{size} {side} pleural effusion.", "pleural_effusion+"),
            ),
            p(
                "Hydropneumothorax on the {side} with an air-fluid level.",
                "pleural_effusion+ pneumothorax+",
                "{side} hydropneumothorax.",
            ),
            p(
                "Opacification of the {side} lower hemithorax due to a large effusion.",
                "pleural_effusion+",
            ),
        ],
        "uncertain": [
            p("Possible small {side} pleural effusion{s}.", "pleural_effusion?"),
            p("A small {side} effusion cannot be excluded.", "pleural_effusion?"),
            p(
                "Blunting of the {side} costophrenic angle{s}, likely small effusion{s}.",
                "pleural_effusion?",
                p("Probable small {side} effusion{s}.", "pleural_effusion?"),
            ),
            p(
                "Mild blunting of the {side} costophrenic angle{s} may reflect small effusion{s} "
                "or pleural thickening.",
                "pleural_effusion? pleural_other?",
            ),
            p(
                "Obscuration of the {side} hemidiaphragm, effusion versus atelectasis.",
                "pleural_effusion? atelectasis?",
            ),
            p("Trace {side} pleural fluid is questioned.", "pleural_effusion?"),
        ],
        "absent": [
            p("No pleural effusion.", "pleural_effusion-"),
            p("The {side} pleural effusion{s} {is_are} no longer seen.", "pleural_effusion-"),
            p("No significant pleural fluid.", "pleural_effusion-"),
            p("The {side} pleural effusion has resolved.", "pleural_effusion-"),
            p("Interval clearing of the {side} pleural effusion{s}.", "pleural_effusion-"),
            p("No large pleural effusion.", "pleural_effusion-"),
            p("Effusion is not identified.", "pleural_effusion-"),
            p("The costophrenic angles are free of effusion.", "pleural_effusion- !pleural_other"),
        ],
    },
    "pleural_other": {
        "present": [
            p("{side} apical pleural thickening.", "pleural_other+"),
            p(
                "Calcified pleural plaques, consistent with prior asbestos exposure.",
                "pleural_other+",
                "Calcified pleural plaques.",
            ),
            p("Pleural thickening at the {side} base{s}.", "pleural_other+"),
            p("Biapical pleural-parenchymal scarring.", "pleural_other+ lung_opacity+"),
            p("Old {side} pleural calcification.", "pleural_other+"),
            p(
                "Chronic blunting of the {side} costophrenic angle from pleural thickening.",
                "pleural_other+",
                "Chronic {side} pleural thickening.",
            ),
            p("Bilateral pleural plaques along the diaphragmatic surfaces.", "pleural_other+"),
            p("Stable {side} pleural thickening.", "pleural_other+"),
            p("Lobulated pleural thickening along {hemi}.", "pleural_other+"),
        ],
        "uncertain": [
            p("Possible pleural plaque along the {side} lateral chest wall.", "pleural_other?"),
            p(
                "Apparent {side} apical pleural thickening may be due to overlapping soft tissues.",
                "pleural_other?",
            ),
            p("Questionable {side} pleural thickening.", "pleural_other?"),
            p("Pleural thickening is suspected at the {side} base.", "pleural_other?"),
        ],
        "absent": [
            p("No pleural thickening.", "pleural_other-"),
            p("No pleural plaques are seen.", "pleural_other-"),
            p(
                "No pleural effusion or pleural thickening.",
                "pleural_other- pleural_effusion-",
            ),
        ],
    },
    "lung_opacity": {
        "present": [
            p("{base} opacity.", "lung_opacity+"),
            p("Patchy opacities in the {region}.", "lung_opacity+", "{region} opacities."),
            p("Airspace disease in the {lobe}.", "lung_opacity+"),
            p("Ill-defined density in the {region}.", "lung_opacity+", "{region} opacity."),
            p("Hazy opacity overlies the {lobe}.", "lung_opacity+", "{lobe} opacity."),
            p("Infiltrate in the {region}.", "lung_opacity+"),
            p("Increased opacity at the {side} lung base{s}.", "lung_opacity+"),
            p("Bilateral patchy airspace opacities.", "lung_opacity+"),
            p("Streaky {base} opacities.", "lung_opacity+"),
            p("Ground-glass opacity in the {region}.", "lung_opacity+"),
            p("Reticulonodular interstitial pattern throughout both lungs.", "lung_opacity+"),
            p("Chronic interstitial changes at the lung bases.", "lung_opacity+"),
            p("Unchanged {base} opacity.", "lung_opacity+"),
            p("New airspace opacity in the {lobe}.", "lung_opacity+"),
            p(
                "{lobe} opacity, concerning for pneumonia.",
                "lung_opacity+ pneumonia?",
                p("{lobe} opacity concerning for pneumonia.", "lung_opacity+ pneumonia?"),
                p("Possible {lobe} pneumonia.", "pneumonia?"),
            ),
            p(
                "There is a focal opacity in the {lobe} which may represent pneumonia.",
                "lung_opacity+ pneumonia?",
            ),
        ],
        "uncertain": [
            p(
                "Questionable opacity at the {side} base, possibly overlapping soft tissue.",
                "lung_opacity?",
            ),
            p("Possible faint opacity in the {region}.", "lung_opacity?"),
            p(
                "Vague density in the {region} may be due to overlapping vessels.",
                "lung_opacity?",
            ),
            p(
                "Subtle increased density at the {side} base, which may be artifactual.",
                "lung_opacity?",
            ),
            p("Questionable {base} opacity.", "lung_opacity?"),
            p("Questionable fine reticulation at the lung bases.", "lung_opacity?"),
        ],
        "absent": [
            p("No focal opacity.", "lung_opacity-"),
            p("No focal airspace opacity.", "lung_opacity-"),
            p("The {base} opacity has resolved.", "lung_opacity-"),
            p("The lungs are free of infiltrates.", "lung_opacity-"),
            p("No new or worsening opacity.", "lung_opacity-"),
            p("No airspace disease.", "lung_opacity-"),
        ],
    },
    "pneumonia": {
        "present": [
            p("{lobe} pneumonia.", "pneumonia+"),
            p(
                "Findings are consistent with {lobe} pneumonia.",
                "pneumonia+",
                "{lobe} pneumonia.",
            ),
            p(
                "Multifocal airspace opacities compatible with multifocal pneumonia.",
                "pneumonia+ lung_opacity+",
                p("Multifocal pneumonia.", "pneumonia+"),
            ),
            p(
                "Consolidation in the {lobe} compatible with pneumonia.",
                "pneumonia+ consolidation+",
                p("{lobe} pneumonia.", "pneumonia+"),
            ),
            p("Bilateral lower lobe bronchopneumonia.", "pneumonia+"),
            p(
                "Infiltrate in the {lobe} compatible with infection.",
                "pneumonia+ lung_opacity+",
                p("{lobe} infection.", "pneumonia+"),
            ),
            p("Improving {lobe} pneumonia.", "pneumonia+"),
            p(
                "Aspiration pneumonia in the dependent {side} lower lobe.",
                "pneumonia+",
                "Aspiration pneumonia.",
            ),
            p("Resolving {lobe} pneumonia.", "pneumonia+"),
            p("Round pneumonia in the {lobe}.", "pneumonia+"),
            p(
                "Airspace disease in the {lobe} representing pneumonia.",
                "pneumonia+ lung_opacity+",
                p("{lobe} pneumonia.", "pneumonia+"),
            ),
        ],
        "uncertain": [
            p(
                "Opacity at the {side} base{s} concerning for pneumonia.",
                "pneumonia? lung_opacity+",
                p("Possible pneumonia at the {side} base{s}.", "pneumonia?"),
            ),
            p(
                "{base} airspace disease, which may represent pneumonia.",
                "pneumonia? lung_opacity+",
            ),
            p("Pneumonia cannot be excluded.", "pneumonia?"),
            p("Early pneumonia is not excluded.", "pneumonia?"),
            p("Subtle infiltrate suspicious for early pneumonia.", "pneumonia? lung_opacity+"),
            p(
                "Atelectasis versus early pneumonia at the {side} base{s}.",
                "pneumonia? atelectasis?",
            ),
            p(
                "{base} opacities could reflect infection in the appropriate clinical setting.",
                "pneumonia? lung_opacity+",
            ),
            p(
                "Consolidation in the {lobe}; the differential includes pneumonia and aspiration.",
                "pneumonia? consolidation+",
            ),
            p("Findings are suggestive of pneumonia.", "pneumonia?"),
        ],
        "absent": [
            p("No evidence of pneumonia.", "pneumonia-"),
            p("No radiographic findings of pneumonia.", "pneumonia-"),
            p("Interval resolution of the {lobe} pneumonia.", "pneumonia-"),
            p("No focal infiltrate to suggest pneumonia.", "pneumonia- lung_opacity-"),
            p("The pneumonia has resolved.", "pneumonia-"),
        ],
    },
    "pneumothorax": {
        "present": [
            p("{ptx} {side} apical pneumothorax.", "pneumothorax+"),
            p("{ptx} {side} pneumothorax.", "pneumothorax+"),
            p(
                "Large {side} pneumothorax with mediastinal shift to the {opp}.",
                "pneumothorax+ mediastinal_other+ !trachea_and_bronchus",
                p("Large {side} pneumothorax, concerning for tension physiology.", "pneumothorax+"),
            ),
            p(
                "{side} pneumothorax measuring approximately {cm} cm at the apex.",
                "pneumothorax+",
            ),
            p(
                "Visceral pleural line at the {side} apex without peripheral lung markings, "
                "consistent with a small pneumothorax.",
                "pneumothorax+",
                "Small {side} pneumothorax.",
            ),
            p("Small {side} PTX is unchanged.", "pneumothorax+", "Stable small {side} PTX."),
            p(
                "Trace residual {side} apical pneumothorax after chest tube placement.",
                "pneumothorax+ support_devices+",
                p("Trace residual {side} pneumothorax.", "pneumothorax+"),
            ),
            p("Increasing {side} pneumothorax, now measuring {cm} cm.", "pneumothorax+"),
            p("Persistent {ptx} {side} basilar pneumothorax.", "pneumothorax+"),
            p(
                "Deep sulcus sign on the {side}, compatible with pneumothorax in this supine "
                "patient.",
                "pneumothorax+",
                "{side} pneumothorax.",
            ),
        ],
        "uncertain": [
            p("Possible tiny {side} apical pneumothorax.", "pneumothorax?"),
            p(
                "Thin pleural line at the {side} apex could represent a small pneumothorax "
                "versus a skin fold.",
                "pneumothorax?",
            ),
            p("A small {side} pneumothorax cannot be excluded.", "pneumothorax?"),
            p("Questionable small {side} pneumothorax.", "pneumothorax?"),
            p(
                "Lucency at the {side} costophrenic sulcus may represent a small anterior "
                "pneumothorax.",
                "pneumothorax?",
            ),
        ],
        "absent": [
            p("No pneumothorax.", "pneumothorax-"),
            p("Pneumothorax is not seen.", "pneumothorax-"),
            p("No PTX.", "pneumothorax-"),
            p("The {side} pneumothorax has resolved.", "pneumothorax-"),
            p("No evidence of a pneumothorax is seen.", "pneumothorax-"),
            p("No pneumothorax following line placement.", "pneumothorax-"),
            p("No new or enlarging pneumothorax.", "pneumothorax-"),
        ],
    },
    "emphysema": {
        "present": [
            p(
                "Hyperinflated lungs with flattening of the hemidiaphragms, consistent with "
                "emphysema.",
                "emphysema+",
                "Emphysema.",
            ),
            p("Hyperexpanded lungs consistent with COPD.", "emphysema+", "COPD."),
            p("Emphysematous changes.", "emphysema+"),
            p("Upper lobe predominant bullous emphysema.", "emphysema+", "Bullous emphysema."),
            p(
                "Large bulla in the {region}.",
                "emphysema+",
                "{region} bulla.",
            ),
            p("Centrilobular emphysema is again noted.", "emphysema+"),
            p(
                "The lungs are hyperinflated with increased retrosternal airspace, compatible with "
                "emphysema.",
                "emphysema+",
                "Hyperinflation, compatible with emphysema.",
            ),
            p("Changes of chronic obstructive pulmonary disease.", "emphysema+", "COPD."),
            p("Paraseptal bullae at {apex}.", "emphysema+"),
            p(
                "Emphysematous lungs without focal consolidation.",
                "emphysema+ consolidation-",
                p("Emphysema.", "emphysema+"),
            ),
            p("Severe emphysema with attenuation of the upper lobe vessels.", "emphysema+"),
        ],
        "uncertain": [
            p("Lungs appear hyperinflated, possibly reflecting COPD.", "emphysema?"),
            p("Mild hyperlucency of the upper lobes may be due to emphysema.", "emphysema?"),
            p("Possible emphysema.", "emphysema?"),
            p("Question of bullous change at {apex}.", "emphysema?"),
            p("Flattened hemidiaphragms suggestive of underlying emphysema.", "emphysema?"),
        ],
        "absent": [
            p("No hyperinflation or emphysema.", "emphysema-"),
            p("No emphysema.", "emphysema-"),
            p("No emphysematous change.", "emphysema-"),
            p("No evidence of COPD.", "emphysema-"),
            p("No bullae are seen.", "emphysema-"),
        ],
    },
    "interstitial_lung_disease": {
        "present": [
            p(
                "Diffuse reticular opacities consistent with pulmonary fibrosis.",
                "interstitial_lung_disease+ lung_opacity+",
                p("Pulmonary fibrosis.", "interstitial_lung_disease+"),
            ),
            p(
                "Coarse interstitial markings bilaterally, in keeping with chronic interstitial "
                "lung disease.",
                "interstitial_lung_disease+ lung_opacity+",
                p("Chronic interstitial lung disease.", "interstitial_lung_disease+"),
            ),
            p("Basilar-predominant honeycombing.", "interstitial_lung_disease+"),
            p("Interstitial fibrosis, unchanged.", "interstitial_lung_disease+"),
            p(
                "Chronic fibrotic changes at the lung bases.",
                "interstitial_lung_disease+",
                "Chronic fibrotic lung disease.",
            ),
            p(
                "Bilateral upper lobe fibrotic changes with hilar retraction.",
                "interstitial_lung_disease+",
                "Upper lobe fibrosis.",
            ),
            p(
                "Peripheral reticulation with traction bronchiectasis, consistent with UIP.",
                "interstitial_lung_disease+ trachea_and_bronchus+ lung_opacity+",
                p("Fibrotic interstitial lung disease.", "interstitial_lung_disease+"),
            ),
            p("Stable diffuse interstitial lung disease.", "interstitial_lung_disease+"),
            p(
                "Honeycombing with a reticular pattern throughout both lungs.",
                "interstitial_lung_disease+ lung_opacity+",
                p("Honeycomb lung.", "interstitial_lung_disease+"),
            ),
            p("ILD again noted.", "interstitial_lung_disease+"),
        ],
        "uncertain": [
            p(
                "Prominent interstitial markings, which may represent chronic interstitial "
                "disease versus mild edema.",
                "interstitial_lung_disease? edema? lung_opacity+",
            ),
            p("Possible early fibrotic change at the bases.", "interstitial_lung_disease?"),
            p(
                "Coarsened interstitial markings could reflect underlying fibrosis.",
                "interstitial_lung_disease? lung_opacity+",
            ),
            p(
                "Findings are suggestive of interstitial lung disease.",
                "interstitial_lung_disease?",
            ),
            p("Questionable early honeycombing at the lung bases.", "interstitial_lung_disease?"),
        ],
        "absent": [
            p("No interstitial lung disease.", "interstitial_lung_disease-"),
            p("No evidence of pulmonary fibrosis.", "interstitial_lung_disease-"),
            p("No honeycombing.", "interstitial_lung_disease-"),
            p("No interstitial abnormality.", "interstitial_lung_disease-"),
        ],
    },
    "calcification": {
        "present": [
            p("Calcified granuloma in the {region}.", "calcification+"),
            p("Multiple calcified granulomas.", "calcification+"),
            p("Calcified mediastinal lymph nodes.", "calcification+"),
            p("Calcified {side} hilar lymph nodes.", "calcification+"),
            p("Atherosclerotic calcification of the aortic knob.", "calcification+"),
            p("Calcification of the aortic arch.", "calcification+"),
            p("Coronary artery calcifications are noted.", "calcification+"),
            p("Mitral annular calcification.", "calcification+"),
            p(
                "Sequelae of old granulomatous infection, with calcified granulomas and hilar "
                "nodes.",
                "calcification+",
                "Sequelae of old granulomatous infection.",
            ),
            p(
                "Calcified {nodsize} nodule in the {region}, likely a granuloma.",
                "calcification+ lung_lesion+",
            ),
            p("Aortic atherosclerosis with mural calcification.", "calcification+"),
            p("Stable small calcified granuloma at the {side} apex.", "calcification+"),
            p("Calcified aortic knob.", "calcification+"),
            p("Scattered granulomas in both lungs.", "calcification+"),
        ],
        "uncertain": [
            p(
                "Punctate focus in the {region}, possibly a calcified granuloma.",
                "calcification?",
            ),
            p("Possible calcification in the aortic knob.", "calcification?"),
            p("Questionable calcified lymph node in the {side} hilum.", "calcification?"),
            p(
                "Tiny nodule in the {region}, likely a calcified granuloma.",
                "calcification? lung_lesion+",
            ),
            p("Faint calcification may be present in the aortic arch.", "calcification?"),
        ],
        "absent": [
            p("No calcified granulomas.", "calcification-"),
            p(
                "The {nodsize} nodule in the {region} does not appear calcified.",
                "calcification- lung_lesion+",
            ),
            p("No vascular calcification.", "calcification-"),
            p("No calcified lymph nodes.", "calcification-"),
        ],
    },
    "trachea_and_bronchus": {
        "present": [
            p("The trachea is deviated to the {side}.", "trachea_and_bronchus+"),
            p(
                "Rightward deviation of the tracheal air column.",
                "trachea_and_bronchus+",
                "Tracheal deviation.",
            ),
            p("Bronchiectasis in the lower lobes.", "trachea_and_bronchus+"),
            p(
                "Bronchial wall thickening, suggesting bronchitis.",
                "trachea_and_bronchus+",
                "Bronchial wall thickening.",
            ),
            p("Peribronchial cuffing in the perihilar regions.", "trachea_and_bronchus+"),
            p(
                "Narrowing of the tracheal air column at the thoracic inlet.",
                "trachea_and_bronchus+",
            ),
            p(
                "Abrupt cut-off of the {side} mainstem bronchus, concerning for an endobronchial "
                "lesion.",
                "trachea_and_bronchus+",
                p("{side} mainstem bronchus cut-off.", "trachea_and_bronchus+"),
            ),
            p(
                "Dilated, thick-walled bronchi in the {lobe}.",
                "trachea_and_bronchus+",
                "{lobe} bronchiectasis.",
            ),
            p("Cylindrical bronchiectasis at {apex}.", "trachea_and_bronchus+"),
            p("Tracheal narrowing is again noted.", "trachea_and_bronchus+"),
            p("Mild tracheal displacement to the {side}.", "trachea_and_bronchus+"),
            p("Thickened bronchial walls in both lower lobes.", "trachea_and_bronchus+"),
        ],
        "uncertain": [
            p("Possible bronchiectasis at the {side} base{s}.", "trachea_and_bronchus?"),
            p("Possible mild tracheal narrowing.", "trachea_and_bronchus?"),
            p(
                "Questionable tracheal deviation to the {side}, possibly due to rotation.",
                "trachea_and_bronchus?",
            ),
            p(
                "Tubular lucencies at the bases could represent bronchiectasis.",
                "trachea_and_bronchus?",
            ),
            p("Probable mild bronchial wall thickening.", "trachea_and_bronchus?"),
        ],
        "absent": [
            p("No bronchiectasis.", "trachea_and_bronchus-"),
            p("No bronchial wall thickening.", "trachea_and_bronchus-"),
            p("No tracheal deviation.", "trachea_and_bronchus-"),
            p("No endobronchial lesion is seen.", "trachea_and_bronchus-"),
        ],
    },
    "cavity_and_cyst": {
        "present": [
            p(
                "Cavitary lesion in the {lobe}.",
                "cavity_and_cyst+ lung_lesion+",
                "{lobe} cavitary lesion.",
            ),
            p(
                "Thick-walled cavity with an air-fluid level in the {lobe}.",
                "cavity_and_cyst+",
                "{lobe} cavity.",
            ),
            p(
                "Cavitating {masssize} mass in the {lobe}.",
                "cavity_and_cyst+ lung_lesion+",
                "Cavitary {lobe} mass.",
            ),
            p("Pneumatocele in the {region}.", "cavity_and_cyst+"),
            p("Thin-walled cyst in the {region}.", "cavity_and_cyst+"),
            p("Multiple thin-walled cystic lucencies in both lungs.", "cavity_and_cyst+"),
            p(
                "Cavitation within the {lobe} consolidation.",
                "cavity_and_cyst+ consolidation+",
                p("Cavitary {lobe} consolidation.", "cavity_and_cyst+ consolidation+"),
            ),
            p("Upper lobe cavitation is again seen.", "cavity_and_cyst+"),
            p("Unchanged {nodsize} cyst in the {region}.", "cavity_and_cyst+"),
        ],
        "uncertain": [
            p(
                "Lucency within the {lobe} opacity may represent early cavitation.",
                "cavity_and_cyst? lung_opacity+",
            ),
            p("Possible thin-walled cyst in the {region}.", "cavity_and_cyst?"),
            p("Questionable cavity within the {lobe} mass.", "cavity_and_cyst? lung_lesion+"),
            p("Central lucency in the {region}, suspicious for cavitation.", "cavity_and_cyst?"),
            p("A small pneumatocele cannot be excluded in the {region}.", "cavity_and_cyst?"),
        ],
        "absent": [
            p("No cavitation.", "cavity_and_cyst-"),
            p("No cavitary lesion.", "cavity_and_cyst-"),
            p(
                "The {lobe} mass is solid without cavitation.",
                "cavity_and_cyst- lung_lesion+",
            ),
            p("The previously described pneumatocele has resolved.", "cavity_and_cyst-"),
        ],
    },
    "mediastinal_other": {
        "present": [
            p("Small hiatal hernia.", "mediastinal_other+"),
            p(
                "Large hiatal hernia with a retrocardiac air-fluid level.",
                "mediastinal_other+",
                "Large hiatal hernia.",
            ),
            p(
                "Pneumomediastinum with air tracking into the neck.",
                "mediastinal_other+",
                "Pneumomediastinum.",
            ),
            p("Mediastinal lymphadenopathy.", "mediastinal_other+"),
            p("Right paratracheal lymphadenopathy.", "mediastinal_other+"),
            p(
                "Anterior mediastinal mass measuring {masssize}.",
                "mediastinal_other+",
                "Anterior mediastinal mass.",
            ),
            p("Bilateral hilar and mediastinal lymphadenopathy.", "mediastinal_other+"),
            p(
                "Substernal thyroid goiter extending into the superior mediastinum.",
                "mediastinal_other+",
                "Substernal goiter.",
            ),
            p("Patulous esophagus with an air-fluid level.", "mediastinal_other+"),
            p("Unchanged moderate hiatal hernia.", "mediastinal_other+"),
            p("Tortuous thoracic aorta.", "mediastinal_other+"),
            p("The thoracic aorta is tortuous and ectatic.", "mediastinal_other+"),
            p("Unfolding of the thoracic aorta.", "mediastinal_other+"),
            p(
                "Aneurysmal dilatation of the descending thoracic aorta.",
                "mediastinal_other+",
                "Descending thoracic aortic aneurysm.",
            ),
            p("Small pericardial effusion.", "mediastinal_other+"),
        ],
        "uncertain": [
            p("Right paratracheal fullness, possibly lymphadenopathy.", "mediastinal_other?"),
            p("Retrocardiac lucency may represent a hiatal hernia.", "mediastinal_other?"),
            p("A small amount of pneumomediastinum cannot be excluded.", "mediastinal_other?"),
            p(
                "Prominent hila, which may reflect lymphadenopathy versus enlarged pulmonary "
                "arteries.",
                "mediastinal_other? pulmonary_vascular_abnormal?",
            ),
            p("Questionable mediastinal mass.", "mediastinal_other?"),
        ],
        "absent": [
            p("No pneumomediastinum.", "mediastinal_other-"),
            p("No mediastinal mass or lymphadenopathy.", "mediastinal_other-"),
            p("The previously seen pneumomediastinum has resolved.", "mediastinal_other-"),
            p("No hiatal hernia.", "mediastinal_other-"),
        ],
    },
    "pulmonary_vascular_abnormal": {
        "present": [
            p("Pulmonary vascular congestion.", "pulmonary_vascular_abnormal+"),
            p(
                "Cephalization of the pulmonary vasculature.",
                "pulmonary_vascular_abnormal+",
                "Pulmonary venous hypertension.",
            ),
            p(
                "Enlarged central pulmonary arteries, suggesting pulmonary arterial hypertension.",
                "pulmonary_vascular_abnormal+",
                "Enlarged pulmonary arteries.",
            ),
            p(
                "Prominent pulmonary arteries consistent with pulmonary hypertension.",
                "pulmonary_vascular_abnormal+",
                "Pulmonary hypertension.",
            ),
            p("Engorged pulmonary vessels.", "pulmonary_vascular_abnormal+"),
            p("Upper zone vascular redistribution.", "pulmonary_vascular_abnormal+"),
            p("Prominent main pulmonary artery segment.", "pulmonary_vascular_abnormal+"),
            p("{mild} vascular congestion.", "pulmonary_vascular_abnormal+"),
            p(
                "Heart size is normal, although there is {mild} pulmonary vascular congestion.",
                "pulmonary_vascular_abnormal+ cardiomegaly-",
                p("{mild} pulmonary vascular congestion.", "pulmonary_vascular_abnormal+"),
            ),
            p("Pulmonary arterial enlargement is again seen.", "pulmonary_vascular_abnormal+"),
            p(
                "Enlarged pulmonary arteries, in keeping with pulmonary hypertension.",
                "pulmonary_vascular_abnormal+",
                "Pulmonary arterial hypertension.",
            ),
            p("Prominent pulmonary vasculature.", "pulmonary_vascular_abnormal+"),
        ],
        "uncertain": [
            p("Questionable mild vascular congestion.", "pulmonary_vascular_abnormal?"),
            p("Possible pulmonary arterial enlargement.", "pulmonary_vascular_abnormal?"),
            p(
                "Hilar prominence may reflect pulmonary hypertension.",
                "pulmonary_vascular_abnormal?",
            ),
            p(
                "Mild pulmonary venous hypertension cannot be excluded.",
                "pulmonary_vascular_abnormal?",
            ),
            p("Possible mild vascular engorgement.", "pulmonary_vascular_abnormal?"),
        ],
        "absent": [
            p("No vascular congestion.", "pulmonary_vascular_abnormal-"),
            p(
                "Interval resolution of pulmonary vascular congestion.",
                "pulmonary_vascular_abnormal-",
            ),
            p("Vascular congestion has resolved.", "pulmonary_vascular_abnormal-"),
        ],
    },
}
