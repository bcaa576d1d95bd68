"""Hand-written report parts of the demo corpus besides findings.

Support devices, impression lines, normal statements, header lines, clinical scenarios and the
rules that keep a composed report free of contradictions. Written by the radprompt authors for
this synthetic corpus; no sentence is copied from a real report.
"""

from __future__ import annotations

from phrases import Phrase, p

# Where a finding is usually described in the FINDINGS paragraph.
REGION_OF = {
    "support_devices": "devices",
    "atelectasis": "lungs",
    "consolidation": "lungs",
    "lung_opacity": "lungs",
    "pneumonia": "lungs",
    "edema": "lungs",
    "lung_lesion": "lungs",
    "emphysema": "lungs",
    "interstitial_lung_disease": "lungs",
    "cavity_and_cyst": "lungs",
    "calcification": "lungs",
    "pleural_effusion": "pleura",
    "pleural_other": "pleura",
    "pneumothorax": "pleura",
    "cardiomegaly": "heart",
    "enlarged_cardiomediastinum": "heart",
    "mediastinal_other": "heart",
    "pulmonary_vascular_abnormal": "heart",
    "trachea_and_bronchus": "heart",
    "fracture": "bones",
}

# ---------------------------------------------------------------------------------------------
# Support devices, by kind of device (so one report never adds and removes the same device)
# ---------------------------------------------------------------------------------------------
DEVICES: dict[str, dict[str, list[Phrase]]] = {
    "airway": {
        "present": [
            p("Tracheostomy tube in standard position.", "support_devices+"),
            p(
                "Endotracheal tube tip is {ettpos}.",
                "support_devices+",
                "ETT in standard position.",
            ),
            p("The ETT terminates {ettpos}.", "support_devices+"),
            p(
                "ET tube tip is in the right mainstem bronchus; recommend withdrawal by 2 cm.",
                "support_devices+",
                "Right mainstem intubation; recommend withdrawing the ETT by 2 cm.",
            ),
            p("Interval intubation with the tube tip {ettpos}.", "support_devices+"),
        ],
        "absent": [
            p("The endotracheal tube has been removed.", "support_devices-"),
            p("Interval extubation.", "support_devices-"),
        ],
    },
    "enteric": {
        "present": [
            p(
                "An enteric tube courses below the diaphragm with the tip in the stomach.",
                "support_devices+",
            ),
            p("NG tube tip projects over the gastric fundus.", "support_devices+"),
            p("Nasogastric tube in place, side port beyond the GE junction.", "support_devices+"),
            p("Orogastric tube tip is in the proximal stomach.", "support_devices+"),
            p("Dobhoff feeding tube terminates in the duodenum.", "support_devices+"),
            p(
                "OG tube is coiled in the distal esophagus and should be advanced.",
                "support_devices+",
                "Malpositioned OG tube, coiled in the esophagus.",
            ),
        ],
        "uncertain": [
            p(
                "Tubular radiopaque structure over the left upper quadrant, possibly a "
                "gastrostomy tube.",
                "support_devices?",
            ),
        ],
        "absent": [
            p("The NG tube has been removed.", "support_devices-"),
            p("Interval removal of the enteric tube.", "support_devices-"),
        ],
    },
    "cvc": {
        "present": [
            p("{cvl} central venous catheter with tip {tip}.", "support_devices+"),
            p("{cvl} line terminates {tip}.", "support_devices+"),
            p(
                "Unchanged position of the {cvl} catheter, tip {tip}.",
                "support_devices+",
            ),
            p("New {cvl} central line with the tip {tip}.", "support_devices+"),
        ],
        "absent": [
            p("The {cvl} central line has been removed.", "support_devices-"),
        ],
    },
    "picc": {
        "present": [
            p("Right upper extremity PICC terminates {tip}.", "support_devices+"),
            p("Left arm PICC line with tip {tip}.", "support_devices+"),
            p(
                "The PICC tip has retracted and now projects over the axillary vein.",
                "support_devices+",
                "Retracted PICC; consider repositioning.",
            ),
        ],
        "absent": [
            p("Interval removal of the PICC.", "support_devices-"),
        ],
    },
    "port": {
        "present": [
            p("Right chest wall Port-A-Cath with catheter tip {tip}.", "support_devices+"),
            p("Left subclavian port catheter tip projects {tip}.", "support_devices+"),
            p("Stable position of the right-sided Mediport.", "support_devices+"),
        ],
    },
    "cardiac_device": {
        "present": [
            p(
                "Left chest wall dual-lead pacemaker with leads in the right atrium and right "
                "ventricle.",
                "support_devices+",
            ),
            p(
                "Left-sided AICD with lead tip over the right ventricle.",
                "support_devices+",
                "AICD in place.",
            ),
            p("Right-sided pacemaker generator with intact leads.", "support_devices+"),
            p("Loop recorder projects over the left chest.", "support_devices+"),
            p("Transvenous pacing wire terminates in the right ventricle.", "support_devices+"),
        ],
        "uncertain": [
            p(
                "Small rectangular radiopaque object over the left chest, possibly a loop "
                "recorder.",
                "support_devices?",
            ),
        ],
    },
    "sternotomy": {
        "present": [
            p("Median sternotomy wires and mediastinal clips are intact.", "support_devices+"),
            p(
                "Postoperative changes of CABG with intact sternotomy wires.",
                "support_devices+",
                "Status post CABG.",
            ),
            p("Prosthetic aortic valve.", "support_devices+"),
            p("Mitral annuloplasty ring in place.", "support_devices+"),
            p("Intact median sternotomy wires.", "support_devices+"),
        ],
        "uncertain": [
            p(
                "A thin metallic fragment over the sternum may be a retained wire.",
                "support_devices?",
            ),
        ],
    },
    "chest_tube": {
        "present": [
            p("{side} chest tube in place.", "support_devices+"),
            p("A {side} apical chest tube is present.", "support_devices+"),
            p("Pigtail catheter at the {side} lung base.", "support_devices+"),
            p(
                "No interval change in the position of the {side} chest tube.",
                "support_devices+",
            ),
            p(
                "Without evidence of pneumothorax, the {side} chest tube remains in place.",
                "support_devices+ pneumothorax-",
                p("{side} chest tube without pneumothorax.", "support_devices+ pneumothorax-"),
            ),
        ],
        "absent": [
            p("The {side} chest tube has been removed.", "support_devices-"),
            p(
                "No pneumothorax following removal of the {side} chest tube.",
                "support_devices- pneumothorax-",
            ),
        ],
    },
    "clips_hardware": {
        "present": [
            p(
                "Surgical clips in the right upper quadrant, compatible with prior "
                "cholecystectomy.",
                "support_devices+",
            ),
            p("Partially imaged spinal fusion hardware.", "support_devices+"),
            p("{side} shoulder arthroplasty, partially imaged.", "support_devices+"),
            p("Surgical clips in the {side} hilar region.", "support_devices+"),
            p("ORIF plate and screws along the {side} clavicle.", "support_devices+"),
        ],
        "uncertain": [
            p(
                "Coiled radiopaque structure over the upper abdomen, which could represent a "
                "drain.",
                "support_devices?",
            ),
        ],
    },
    "icu_other": {
        "present": [
            p("Swan-Ganz catheter tip in the right pulmonary artery.", "support_devices+"),
            p(
                "Left IJ hemodialysis catheter with tip in the right atrium.",
                "support_devices+",
            ),
            p(
                "Intra-aortic balloon pump tip projects 2 cm below the aortic knob.",
                "support_devices+",
                "IABP in appropriate position.",
            ),
            p("Lines and tubes are unchanged in position.", "support_devices+"),
            p("Mediastinal drains in place.", "support_devices+"),
        ],
        "uncertain": [
            p(
                "A linear structure over the {side} hemithorax may represent an external line.",
                "support_devices?",
            ),
        ],
        "absent": [
            p("Interval removal of the Swan-Ganz catheter.", "support_devices-"),
            p("The mediastinal drains have been removed.", "support_devices-"),
        ],
    },
}

# ---------------------------------------------------------------------------------------------
# Default impression restatements: label -> state -> phrases (used when a findings phrase has
# no restatement of its own). Slots here must be a subset of the findings phrase's slots.
# ---------------------------------------------------------------------------------------------
IMPRESSIONS: dict[str, dict[str, list[Phrase]]] = {
    "atelectasis": {
        "present": [p("{base} atelectasis.", "atelectasis+"), p("Atelectasis.", "atelectasis+")],
        "uncertain": [p("Possible atelectasis.", "atelectasis?")],
    },
    "cardiomegaly": {
        "present": [
            p("Cardiomegaly.", "cardiomegaly+"),
            p("{degree} cardiomegaly.", "cardiomegaly+"),
        ],
        "uncertain": [p("Possible cardiomegaly.", "cardiomegaly?")],
    },
    "consolidation": {
        "present": [p("{lobe} consolidation.", "consolidation+")],
        "uncertain": [p("Possible consolidation.", "consolidation?")],
    },
    "edema": {
        "present": [
            p("Pulmonary edema.", "edema+"),
            p("{degree} pulmonary edema.", "edema+"),
            p("Findings of pulmonary edema.", "edema+"),
        ],
        "uncertain": [p("Possible pulmonary edema.", "edema?")],
    },
    "enlarged_cardiomediastinum": {
        "present": [p("Enlarged cardiomediastinal silhouette.", "enlarged_cardiomediastinum+")],
        "uncertain": [p("Possible mediastinal widening.", "enlarged_cardiomediastinum?")],
    },
    "lung_opacity": {
        "present": [p("{base} opacity.", "lung_opacity+"), p("{lobe} opacity.", "lung_opacity+")],
        "uncertain": [p("Questionable opacity, as above.", "lung_opacity?")],
    },
    "pleural_effusion": {
        "present": [
            p("{size} {side} pleural effusion{s}.", "pleural_effusion+"),
            p("{side} pleural effusion{s}.", "pleural_effusion+"),
            p("Pleural effusion, as described.", "pleural_effusion+"),
        ],
        "uncertain": [p("Possible small {side} pleural effusion{s}.", "pleural_effusion?")],
    },
    "pleural_other": {
        "present": [p("{side} pleural thickening.", "pleural_other+")],
        "uncertain": [p("Possible pleural thickening.", "pleural_other?")],
    },
    "pneumonia": {
        "present": [p("{lobe} pneumonia.", "pneumonia+"), p("Pneumonia.", "pneumonia+")],
        "uncertain": [
            p("Cannot exclude pneumonia.", "pneumonia?"),
            p("Possible pneumonia in the {lobe}.", "pneumonia?"),
        ],
    },
    "pneumothorax": {
        "present": [
            p("{ptx} {side} pneumothorax.", "pneumothorax+"),
            p("{side} pneumothorax.", "pneumothorax+"),
        ],
        "uncertain": [p("Possible {side} pneumothorax.", "pneumothorax?")],
    },
    "emphysema": {
        "present": [p("Emphysema.", "emphysema+"), p("Emphysematous lungs.", "emphysema+")],
        "uncertain": [p("Possible emphysema.", "emphysema?")],
    },
    "interstitial_lung_disease": {
        "present": [p("Interstitial lung disease.", "interstitial_lung_disease+")],
        "uncertain": [
            p("Possible interstitial lung disease.", "interstitial_lung_disease?"),
        ],
    },
    "lung_lesion": {
        "uncertain": [
            p("Possible pulmonary nodule; consider chest CT.", "lung_lesion?"),
        ],
    },
    "mediastinal_other": {
        "uncertain": [p("Possible mediastinal abnormality, as above.", "mediastinal_other?")],
    },
    "pulmonary_vascular_abnormal": {
        "present": [p("Pulmonary vascular congestion.", "pulmonary_vascular_abnormal+")],
        "uncertain": [p("Possible vascular congestion.", "pulmonary_vascular_abnormal?")],
    },
    "fracture": {
        "uncertain": [p("Possible fracture, as above.", "fracture?")],
    },
}

# ---------------------------------------------------------------------------------------------
# Normal findings (fillers), by region. A filler is used only when none of its labels is
# positive elsewhere in the report and none is already mentioned in the findings.
# ---------------------------------------------------------------------------------------------
NORMAL: dict[str, list[Phrase]] = {
    "heart": [
        p("The heart size is normal.", "cardiomegaly-"),
        p("The heart measures within normal limits for size.", "cardiomegaly-"),
        p("Normal cardiac silhouette.", "cardiomegaly-"),
        p(
            "The cardiomediastinal silhouette is of normal size and contour.",
            "cardiomegaly- enlarged_cardiomediastinum-",
        ),
        p("Cardiomediastinal contours are normal.", "cardiomegaly- enlarged_cardiomediastinum-"),
        p("The heart is not enlarged.", "cardiomegaly-"),
        p(
            "Cardiac and mediastinal outlines are unremarkable.",
            "cardiomegaly- enlarged_cardiomediastinum-",
        ),
        p(
            "Heart and mediastinum are normal in size and contour.",
            "cardiomegaly- enlarged_cardiomediastinum-",
        ),
        p("Stable normal heart size.", "cardiomegaly-"),
        p("The mediastinum is not widened.", "enlarged_cardiomediastinum-"),
        p(
            "Normal size of the cardiac silhouette and mediastinum.",
            "cardiomegaly- enlarged_cardiomediastinum-",
        ),
    ],
    "vessels": [
        p("Pulmonary vascularity is normal.", "pulmonary_vascular_abnormal-"),
        p("No pulmonary vascular congestion.", "pulmonary_vascular_abnormal-"),
        p("Pulmonary vessels are of normal caliber.", "pulmonary_vascular_abnormal-"),
        p("Normal pulmonary vascular markings.", "pulmonary_vascular_abnormal-"),
        p("Hilar contours are unremarkable.", "!lung_lesion !calcification !mediastinal_other"),
    ],
    "trachea": [
        p("The trachea is midline.", "trachea_and_bronchus-"),
        p("Trachea is midline and normal in caliber.", "trachea_and_bronchus-"),
        p("No mediastinal lymphadenopathy.", "mediastinal_other-"),
    ],
    "lungs": [
        p("The lungs are clear.", ""),
        p("Lungs are well expanded and clear.", ""),
        p("The lungs are clear bilaterally.", ""),
        p("Clear lungs.", ""),
        p("No focal consolidation.", "consolidation-"),
        p("No focal airspace disease.", "lung_opacity-"),
        p(
            "There is no focal consolidation, effusion, or pneumothorax.",
            "consolidation- pleural_effusion- pneumothorax-",
        ),
        p(
            "No consolidation, pneumothorax or pleural fluid.",
            "consolidation- pleural_effusion- pneumothorax-",
        ),
        p("Both lungs are free of focal airspace disease.", "lung_opacity-"),
        p("No infiltrate or effusion.", "lung_opacity- pleural_effusion-"),
        p("Lungs are clear without edema or consolidation.", "edema- consolidation- !region"),
        p("No suspicious pulmonary nodule or mass.", "lung_lesion-"),
        p("Lungs are normally inflated without focal opacity.", "lung_opacity- !emphysema !region"),
        p("No evidence of pneumonia is seen.", "pneumonia-"),
        p(
            "Lungs are clear without focal airspace consolidation, edema, or mass.",
            "consolidation- edema- lung_lesion- !region",
        ),
        p("No focal infiltrate, mass or pulmonary edema.", "lung_opacity- lung_lesion- edema-"),
        p("The lungs are well aerated.", "!emphysema"),
        # hyperinflation alone is no chestxray21 label (emphysema's definition excludes it)
        p("The lungs are hyperinflated.", ""),
    ],
    "pleura": [
        p("No pleural effusion or pneumothorax.", "pleural_effusion- pneumothorax-"),
        p("There is no pneumothorax.", "pneumothorax-"),
        p("No pleural effusion.", "pleural_effusion-"),
        p("Costophrenic angles are sharp.", "pleural_effusion- !pleural_other"),
        p("Pneumothorax is not seen.", "pneumothorax-"),
        p(
            "No pleural effusion, pleural thickening or pneumothorax.",
            "pleural_effusion- pleural_other- pneumothorax-",
        ),
        p(
            "Neither pleural effusion nor pneumothorax is present.",
            "pleural_effusion- pneumothorax-",
        ),
        p("No effusion or pneumothorax is identified.", "pleural_effusion- pneumothorax-"),
    ],
    "bones": [
        p("Visualized osseous structures are unremarkable.", ""),
        p("No acute bony abnormality.", ""),
        p("No displaced rib fractures.", "fracture-"),
        p("Mild spondylosis of the mid thoracic spine.", ""),
        p("Osseous structures are intact.", ""),
        p("The bony thorax appears grossly intact.", ""),
        p("Degenerative changes at the acromioclavicular joints.", ""),
        p("Mild thoracic dextroscoliosis.", ""),
        p("Bones are diffusely demineralized.", ""),
        p("No acute fracture is seen.", "fracture-"),
    ],
    "other": [
        p("The upper abdomen is unremarkable.", ""),
        p("No free air beneath the diaphragm.", ""),
        p("Soft tissues are unremarkable.", ""),
        p("Bilateral breast shadows are noted.", ""),
    ],
}
NORMAL_ORDERS = (
    ("devices", "heart", "vessels", "trachea", "lungs", "pleura", "bones", "other"),
    ("devices", "lungs", "pleura", "heart", "vessels", "trachea", "bones", "other"),
    ("devices", "trachea", "heart", "vessels", "lungs", "pleura", "bones", "other"),
)

# Impressions for normal reports, and negative impression lines for abnormal ones.
IMPRESSION_NORMAL: list[Phrase] = [
    p("No acute cardiopulmonary process.", ""),
    p("No acute cardiopulmonary abnormality.", ""),
    p("Normal chest radiograph.", ""),
    p("No active disease.", ""),
    p("No acute intrathoracic abnormality.", ""),
    p("Clear lungs without evidence of pneumonia.", "pneumonia-"),
    p("No radiographic sign of acute cardiopulmonary disease.", ""),
    p("Negative chest.", ""),
    p("Stable chest with no acute findings.", ""),
    p("No acute disease. No pneumothorax.", "pneumothorax-"),
    p("Normal heart size. No focal consolidation.", "cardiomegaly- consolidation-"),
]
# Only in reports whose positive labels are all chronic or incidental.
IMPRESSION_NO_ACUTE: list[Phrase] = [
    p("No acute cardiopulmonary process.", ""),
    p("Otherwise no acute cardiopulmonary abnormality.", ""),
    p("No acute intrathoracic process.", ""),
]
CHRONIC_LABELS = frozenset(
    {
        "calcification",
        "support_devices",
        "emphysema",
        "interstitial_lung_disease",
        "cardiomegaly",
        "pleural_other",
        "mediastinal_other",
        "lung_lesion",
        "trachea_and_bronchus",
    }
)
IMPRESSION_NEGATIVE: list[Phrase] = [
    p("No pneumothorax.", "pneumothorax-"),
    p("No pleural effusion.", "pleural_effusion-"),
    p("No evidence of pneumonia.", "pneumonia-"),
    p("No pulmonary edema.", "edema-"),
    p("No focal consolidation.", "consolidation-"),
    p("No pneumothorax or pleural effusion.", "pneumothorax- pleural_effusion-"),
    p("No evidence of pulmonary edema or pneumonia.", "edema- pneumonia-"),
]

# ---------------------------------------------------------------------------------------------
# Header lines. The indication never contributes labels (see README), so it may name findings.
# ---------------------------------------------------------------------------------------------
EXAMS = {
    "pa_lat": (
        "CHEST (PA AND LAT)",
        "Chest, 2 views.",
        "PA and lateral chest radiographs.",
        "CHEST 2V FRONTAL/LATERAL",
        "Radiograph of the chest, PA and lateral views.",
    ),
    "portable": (
        "Portable AP chest.",
        "CHEST (PORTABLE AP)",
        "Chest, single portable view.",
        "Portable semi-upright AP radiograph of the chest.",
        "AP SUPINE CHEST, PORTABLE",
    ),
}
TECHNIQUES = {
    "pa_lat": ("Two views of the chest, PA and lateral.", "Frontal and lateral views."),
    "portable": (
        "Single frontal view of the chest obtained at the bedside.",
        "Portable AP view, patient semi-upright.",
    ),
}
INDICATIONS: dict[str, tuple[str, ...]] = {
    "normal": (
        "Chest pain.",
        "Cough for two weeks.",
        "Shortness of breath.",
        "Preoperative evaluation.",
        "XXXX-year-old man with chest pain since this morning.",
        "XXXX-year-old female with dyspnea on exertion.",
        "Routine screening.",
        "Fever, rule out pneumonia.",
        "Motor vehicle collision, chest wall pain. Evaluate for rib fracture.",
        "History of pneumonia, follow-up.",
        "Palpitations.",
        "Hypertension.",
        "Asthma exacerbation.",
        "Evaluate for pneumothorax.",
        "Tuberculosis screening, positive PPD.",
    ),
    "abnormal": (
        "Cough and fever.",
        "Shortness of breath.",
        "Productive cough, evaluate for pneumonia.",
        "History of CHF with increasing dyspnea.",
        "XXXX-year-old male, former smoker, with weight loss.",
        "Follow-up of known lung nodule.",
        "Fall from standing, left chest pain.",
        "Hypoxia.",
        "Chronic cough.",
        "History of lung cancer.",
        "Worsening edema on exam.",
        "XXXX-year-old woman with a COPD exacerbation.",
        "Dyspnea. History of pulmonary fibrosis.",
        "Chest pain after a fall.",
        "Hemoptysis.",
    ),
    "icu": (
        "Intubated patient, assess tube position.",
        "Status post central line placement.",
        "Evaluate for pneumothorax after chest tube placement.",
        "Post-operative day 1 after CABG.",
        "Respiratory failure.",
        "Sepsis, on ventilator.",
        "Line placement.",
        "NG tube placement.",
        "Hypoxic respiratory failure, evaluate for edema.",
        "ICU patient with fever.",
    ),
}
COMPARISONS_NONE = ("None.", "None available.", "No prior studies.")
COMPARISONS = (
    "XXXX.",
    "Chest radiograph dated XXXX.",
    "Prior study from XXXX XXXX.",
    "PA and lateral radiographs from XXXX.",
    "Portable chest radiograph from earlier the same day.",
    "XXXX, XXXX.",
    "Chest CT XXXX and radiograph XXXX.",
    "Multiple prior radiographs, most recent XXXX.",
)
# Closing remarks that carry no label.
CLOSINGS = (
    "Findings were discussed with Dr. XXXX at XXXX.",
    "Report electronically signed by Dr. XXXX.",
    "Clinical correlation is recommended.",
    "Results were communicated to the ordering provider by telephone.",
)

# ---------------------------------------------------------------------------------------------
# Clinical scenarios: which findings tend to occur together (label, probability of inclusion).
# ---------------------------------------------------------------------------------------------
SCENARIOS: dict[str, tuple[tuple[str, float], ...]] = {
    "chf": (
        ("cardiomegaly", 0.85),
        ("edema", 0.8),
        ("pleural_effusion", 0.7),
        ("pulmonary_vascular_abnormal", 0.7),
        ("enlarged_cardiomediastinum", 0.15),
    ),
    "pneumonia": (
        ("pneumonia", 0.85),
        ("lung_opacity", 0.5),
        ("consolidation", 0.45),
        ("pleural_effusion", 0.3),
        ("atelectasis", 0.2),
        ("cavity_and_cyst", 0.1),
    ),
    "copd": (
        ("emphysema", 0.95),
        ("trachea_and_bronchus", 0.35),
        ("lung_lesion", 0.2),
        ("pulmonary_vascular_abnormal", 0.25),
        ("calcification", 0.2),
    ),
    "trauma": (
        ("fracture", 0.95),
        ("pneumothorax", 0.45),
        ("atelectasis", 0.2),
        ("lung_opacity", 0.2),
        ("mediastinal_other", 0.1),
        ("enlarged_cardiomediastinum", 0.15),
    ),
    "oncology": (
        ("lung_lesion", 0.9),
        ("mediastinal_other", 0.45),
        ("pleural_effusion", 0.35),
        ("cavity_and_cyst", 0.2),
        ("support_devices", 0.35),
        ("fracture", 0.1),
        ("trachea_and_bronchus", 0.1),
    ),
    "granulomatous": (
        ("calcification", 0.95),
        ("cavity_and_cyst", 0.25),
        ("pleural_other", 0.3),
        ("interstitial_lung_disease", 0.15),
        ("lung_lesion", 0.2),
    ),
    "fibrosis": (
        ("interstitial_lung_disease", 0.95),
        ("trachea_and_bronchus", 0.3),
        ("pulmonary_vascular_abnormal", 0.3),
        ("lung_opacity", 0.2),
        ("pleural_other", 0.2),
    ),
    "elderly": (
        ("cardiomegaly", 0.5),
        ("calcification", 0.6),
        ("mediastinal_other", 0.4),
        ("fracture", 0.3),
        ("atelectasis", 0.3),
        ("emphysema", 0.2),
        ("support_devices", 0.3),
    ),
    "asbestos": (
        ("pleural_other", 0.95),
        ("calcification", 0.3),
        ("interstitial_lung_disease", 0.25),
        ("lung_lesion", 0.2),
    ),
    "postop": (
        ("support_devices", 0.95),
        ("atelectasis", 0.6),
        ("pleural_effusion", 0.5),
        ("cardiomegaly", 0.4),
        ("pneumothorax", 0.2),
        ("mediastinal_other", 0.15),
        ("enlarged_cardiomediastinum", 0.3),
    ),
    "icu": (
        ("atelectasis", 0.35),
        ("pleural_effusion", 0.35),
        ("edema", 0.3),
        ("lung_opacity", 0.3),
        ("pneumothorax", 0.15),
        ("pneumonia", 0.15),
        ("pulmonary_vascular_abnormal", 0.2),
        ("consolidation", 0.15),
        ("cardiomegaly", 0.25),
        ("enlarged_cardiomediastinum", 0.1),
        ("mediastinal_other", 0.05),
    ),
}
# How often each label anchors an outpatient report, per cycle through the labels: rarer
# findings anchor more reports so that every label has enough examples in every split.
ANCHOR_REPEATS: dict[str, int] = {
    "atelectasis": 2,
    "cardiomegaly": 2,
    "consolidation": 3,
    "edema": 2,
    "enlarged_cardiomediastinum": 4,
    "fracture": 3,
    "lung_lesion": 2,
    "pleural_effusion": 1,
    "pleural_other": 3,
    "lung_opacity": 1,
    "pneumonia": 3,
    "pneumothorax": 3,
    "support_devices": 1,
    "emphysema": 4,
    "interstitial_lung_disease": 3,
    "calcification": 3,
    "trachea_and_bronchus": 4,
    "cavity_and_cyst": 4,
    "mediastinal_other": 3,
    "pulmonary_vascular_abnormal": 2,
}
# Devices an outpatient may carry; ICU patients may have any kind.
OUTPATIENT_DEVICE_KINDS = ("port", "cardiac_device", "sternotomy", "clips_hardware")
# Order of findings in the impression: acute and actionable first.
IMPRESSION_PRIORITY = (
    "pneumothorax",
    "support_devices",
    "pneumonia",
    "edema",
    "consolidation",
    "pleural_effusion",
    "lung_opacity",
    "lung_lesion",
    "cavity_and_cyst",
    "fracture",
    "atelectasis",
    "mediastinal_other",
    "enlarged_cardiomediastinum",
    "cardiomegaly",
    "pulmonary_vascular_abnormal",
    "interstitial_lung_disease",
    "emphysema",
    "trachea_and_bronchus",
    "pleural_other",
    "calcification",
)

# A negation of the key label never appears beside a positive finding of these labels
# (e.g. "No focal airspace opacity." next to "Right lower lobe pneumonia.").
NEGATION_BLOCKERS: dict[str, tuple[str, ...]] = {
    "lung_opacity": (
        "consolidation",
        "pneumonia",
        "atelectasis",
        "edema",
        "lung_lesion",
        "interstitial_lung_disease",
        "cavity_and_cyst",
    ),
    "consolidation": ("pneumonia",),
    "pneumonia": ("consolidation",),
    "enlarged_cardiomediastinum": ("mediastinal_other",),
}
# Labels a radiologist typically negates alongside a given positive finding (pertinent
# negatives), and in normal reports.
RELATED_NEGATIONS: dict[str, tuple[str, ...]] = {
    "atelectasis": ("consolidation", "pleural_effusion", "pneumothorax"),
    "cardiomegaly": ("edema", "pulmonary_vascular_abnormal", "pleural_effusion"),
    "consolidation": ("pleural_effusion", "cavity_and_cyst", "atelectasis"),
    "edema": ("pleural_effusion", "pneumonia", "consolidation", "cardiomegaly"),
    "enlarged_cardiomediastinum": ("mediastinal_other", "fracture", "pneumothorax"),
    "fracture": ("pneumothorax", "mediastinal_other", "pleural_effusion"),
    "lung_lesion": ("cavity_and_cyst", "calcification", "mediastinal_other", "pleural_effusion"),
    "pleural_effusion": (
        "pneumothorax",
        "consolidation",
        "edema",
        "pleural_other",
        "support_devices",
    ),
    "pleural_other": (
        "pleural_effusion",
        "calcification",
        "interstitial_lung_disease",
        "atelectasis",
    ),
    "lung_opacity": ("pleural_effusion", "pneumothorax", "cavity_and_cyst", "edema", "atelectasis"),
    "pneumonia": (
        "pleural_effusion",
        "cavity_and_cyst",
        "edema",
        "pneumothorax",
        "support_devices",
    ),
    "pneumothorax": ("fracture", "mediastinal_other", "pleural_effusion", "support_devices"),
    "support_devices": ("pneumothorax", "pleural_effusion", "edema", "mediastinal_other"),
    "emphysema": ("lung_lesion", "pneumothorax", "interstitial_lung_disease", "pneumonia"),
    "interstitial_lung_disease": ("edema", "emphysema", "lung_lesion", "pleural_other"),
    "calcification": ("lung_lesion", "cavity_and_cyst", "mediastinal_other"),
    "trachea_and_bronchus": (
        "lung_lesion",
        "mediastinal_other",
        "interstitial_lung_disease",
        "emphysema",
    ),
    "cavity_and_cyst": ("pleural_effusion", "calcification", "emphysema"),
    "mediastinal_other": ("enlarged_cardiomediastinum", "pleural_effusion", "trachea_and_bronchus"),
    "pulmonary_vascular_abnormal": ("edema", "pleural_effusion", "cardiomegaly"),
}
NORMAL_REPORT_NEGATIONS = (
    "pneumothorax",
    "pleural_effusion",
    "consolidation",
    "pneumonia",
    "edema",
    "fracture",
    "emphysema",
    "lung_lesion",
    "atelectasis",
    "support_devices",
    "cardiomegaly",
    "interstitial_lung_disease",
    "calcification",
    "cavity_and_cyst",
    "trachea_and_bronchus",
    "mediastinal_other",
    "pleural_other",
)
# Findings of the lung parenchyma; a report gets at most a few of them, so it stays readable.
PARENCHYMA = frozenset(
    {"lung_opacity", "consolidation", "pneumonia", "atelectasis", "edema", "lung_lesion"}
)
# One impression line that summarises several devices.
IMPRESSION_DEVICES: list[Phrase] = [
    p("Support devices as described above.", "support_devices+"),
    p("Lines and tubes as above.", "support_devices+"),
    p("Tubes and lines as detailed in the findings.", "support_devices+"),
]
