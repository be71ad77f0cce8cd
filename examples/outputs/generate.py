#!/usr/bin/env python3
"""Writes the example microdata of examples/outputs/ (synthetic, seeded: the same bytes every
run). Run from the repository root: python3 examples/outputs/generate.py"""

import csv
import pathlib
import random

HERE = pathlib.Path(__file__).parent


def write(name, header, rows):
    with open(HERE / name, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


MEAN_SBP = {"40-49": 122, "50-59": 127, "60-69": 132, "70-79": 137, "80+": 141}


def cardio(rng):
    """de-hd-cardio: 400 adults of 40 to 79, plus nine aged 80 or more (a small band)."""
    rows = []
    bands = ["40-49", "50-59", "60-69", "70-79"] * 100 + ["80+"] * 9
    for band in bands:
        sex = "F" if rng.random() < 0.5 else "M"
        sbp = round(rng.gauss(MEAN_SBP[band], 12))
        ldl = round(rng.gauss(3.2, 0.7), 1)
        rows.append([band, sex, sbp, ldl])
    write("cardio.csv", ["age_band", "sex", "systolic_bp", "ldl_cholesterol"], rows)


def diabetes(rng):
    """fi-fin-diabetes: 240 people with type 1 or type 2 diabetes, HbA1c in mmol/mol."""
    rows = []
    for i in range(240):
        kind = "T1" if i % 4 == 0 else "T2"
        sex = "F" if rng.random() < 0.5 else "M"
        band = rng.choice(["18-39", "40-59", "60-79"])
        hba1c = round(rng.gauss(62 if kind == "T1" else 55, 9))
        insulin = "yes" if kind == "T1" or rng.random() < 0.3 else "no"
        rows.append([band, sex, kind, hba1c, insulin])
    write("diabetes.csv", ["age_band", "sex", "diabetes_type", "hba1c", "insulin_use"], rows)


def breast_cancer(rng):
    """gb-sail-breast-cancer: 300 tumours by grade and oestrogen receptor status."""
    rows = []
    for i in range(300):
        grade = str(1 + i % 3)
        er = "positive" if rng.random() < 0.7 else "negative"
        rows.append(["50-69", grade, er, "negative", "surgery"])
    write("breast_cancer.csv", ["age_band", "tumour_grade", "er_status", "her2_status", "treatment_type"], rows)


if __name__ == "__main__":
    rng = random.Random(20261202)
    cardio(rng)
    diabetes(rng)
    breast_cancer(rng)
