"""Write the SYNTHETIC survey-platform fixtures in this folder (re-runnable, deterministic).

No real export of these kinds was publicly available (see shared/reference/survey-formats.md),
so these files are built from the platform specifications. Every respondent is invented.
Run from the repository root:  .venv/bin/python tests/data/synthetic/make_fixtures.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from qimscale.instrument import load_instrument

HERE = Path(__file__).parent
N = 12


def responses(inst, seed=20261126):
    """Integer codes 1-5 (some 9 = not applicable, some blank), plus background codes."""
    rng = np.random.default_rng(seed)
    items = [it.id for it in inst.scored_items()]
    trait = rng.normal(size=N)
    X = np.clip(np.rint(3 + trait[:, None] + rng.normal(scale=0.8, size=(N, len(items)))), 1, 5).astype(int)
    rev = {it.id for it in inst.items if it.reverse}
    for j, it in enumerate(items):
        if it in rev:
            X[:, j] = 6 - X[:, j]
    X = X.astype(object)
    X[1, 2] = 9          # not applicable
    X[2, 5] = ""         # skipped
    X[3, 0] = 9
    X[5, :] = 4          # a straight-liner
    return items, X


def labels(inst):
    rs = inst.response_scale()
    return {o.code: o.label_for("en") for o in rs.all_options()}


def qualtrics(inst, items, X):
    lab = labels(inst)
    meta = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
            "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
            "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage"]
    imp = ["startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished", "recordedDate",
           "_recordId", "recipientLastName", "recipientFirstName", "recipientEmail", "externalDataReference",
           "locationLatitude", "locationLongitude", "distributionChannel", "userLanguage"]
    scales = {}
    for it in inst.scored_items():
        scales.setdefault(it.scale, []).append(it)
    cols, texts, ids = list(meta), list(meta), [json.dumps({"ImportId": i}) for i in imp]
    qid = 1
    for sid, its in scales.items():
        for k, it in enumerate(its, start=1):
            cols.append(it.id)  # question export tags = item ids
            texts.append(f"{inst.scale_stem(sid, 'self')} - {it.text['self']['en']}")
            ids.append(json.dumps({"ImportId": f"QID{qid}_{k}"}))
        qid += 1
    cols += ["qim_type", "org_type"]
    texts += ["route into QI", "organisation"]
    ids += [json.dumps({"ImportId": f"QID{qid}"}), json.dumps({"ImportId": f"QID{qid + 1}"})]
    with open(HERE / "qualtrics_current_matrix_choicetext.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerow(texts)
        w.writerow(ids)
        for i in range(N):
            dur = 45 if i == 4 else 300 + 17 * i
            row = [f"2026-11-0{1 + i % 9} 09:00:00", f"2026-11-0{1 + i % 9} 09:10:00", "IP Address",
                   f"10.0.0.{i + 1}", "100", str(dur), "True", f"2026-11-0{1 + i % 9} 09:10:00", f"R_fake{i:04d}",
                   f"Last{i}", f"First{i}", f"person{i}@example.org", f"ext{i}", "-41.28", "174.77",
                   "anonymous", "EN"]
            vals = [lab[v] if v != "" else "" for v in X[i]]
            if i == 7:
                vals[3] = "Agreee"          # unknown label
                vals[4] = "  strongly AGREE "  # case/whitespace-insensitive
            row += vals + [["Traditional: formal QI or operations-management education (for example an operations manager or process engineer)", "Clinical: a clinician who moved into QI, mostly trained on the job"][i % 2], "Metropolitan" if i != 9 else "Suburban"]
            w.writerow(row)


def qualtrics_numeric_txt(inst, items, X):
    """Qualtrics numeric export of the form imported from qimscale's Advanced-Format TXT.

    Matrix columns are <scale>_<row>; the TXT import numbers answers 1..n, so the
    not-applicable answer arrives as 6 (one respondent's was recoded to 9 after import).
    """
    meta = ["StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished", "RecordedDate",
            "ResponseId", "DistributionChannel", "UserLanguage"]
    imp = ["startDate", "endDate", "status", "progress", "duration", "finished", "recordedDate", "_recordId",
           "distributionChannel", "userLanguage"]
    cols, texts, ids = list(meta), list(meta), [json.dumps({"ImportId": i}) for i in imp]
    for q, sc in enumerate(inst.scales, start=1):
        for k, it in enumerate(inst.scale_items(sc.id), start=1):
            cols.append(f"{sc.id}_{k}")
            texts.append(f"{inst.scale_stem(sc.id, 'self')} - {it.text['self']['en']}")
            ids.append(json.dumps({"ImportId": f"QID{q}_{k}"}))
    order = [f"{inst.get_item(i).scale}_{[x.id for x in inst.scale_items(inst.get_item(i).scale)].index(i) + 1}"
             for i in items]
    pos = {c: j for j, c in enumerate(order)}
    with open(HERE / "qualtrics_current_numeric_txtexport.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerow(texts)
        w.writerow(ids)
        for i in range(N):
            row = ["2026-11-05 10:00:00", "2026-11-05 10:08:00", "0", "100", str(480 + i), "1",
                   "2026-11-05 10:08:00", f"R_num{i:04d}", "anonymous", "EN"]
            vals = []
            for c in cols[len(meta):]:
                v = X[i][pos[c]]
                vals.append("" if v == "" else ("6" if v == 9 and i != 3 else str(v)))
            w.writerow(row + vals)


def redcap_label(inst, items, X):
    """REDCap label export: label headers, choice labels as values, repeated 'Complete?'."""
    lab = labels(inst)
    its = [inst.get_item(i) for i in items]
    header = ["Record ID", "Event Name", "Survey Timestamp"] + [it.text["self"]["en"] for it in its] + ["Complete?"]
    header += ["Which best describes your route into QI?", "Complete?"]
    with open(HERE / "redcap_labels.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i in range(N):
            vals = [lab[v] if v != "" else "" for v in X[i]]
            if i == 8:
                vals[10] = "7"                # out of range
            w.writerow([str(i + 1), "Baseline (Arm 1: Main)", f"2026-11-02 10:{i:02d}:00"] + vals
                       + ["Complete", ["Traditional: formal QI or operations-management education (for example an operations manager or process engineer)", "Clinical: a clinician who moved into QI, mostly trained on the job"][i % 2], "Complete"])


def limesurvey_codes(inst, items, X):
    """LimeSurvey code headings: Q[SQ] with question = scale code, subquestion = item code."""
    head = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr"]
    cols = head + [f"{inst.limesurvey_code(inst.get_item(i).scale)}[{inst.limesurvey_code(i)}]" for i in items]
    with open(HERE / "limesurvey_codes.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for i in range(N):
            rid = i + 1 if i != 10 else 3   # duplicate response id
            w.writerow([rid, "2026-11-03 11:20:00", "4", "en", "123", "2026-11-03 11:10:00",
                        "2026-11-03 11:20:00", f"192.168.1.{i}"] + [str(v) for v in X[i]])


def kobo(inst, items, X):
    """Kobo CSV: ';' separated, every field quoted, group paths, trailing metadata."""
    cols = ["start", "end"] + [f"qim/{inst.get_item(i).scale}/{i}" for i in items] + [
        "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
        "__version__", "_tags", "_index"]
    with open(HERE / "kobo_groups.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL)
        w.writerow(cols)
        for i in range(N):
            vals = [str(v) for v in X[i]]
            if i == 6:
                vals[1] = "3.5"   # not a code
            w.writerow(["2026-11-04T09:00:00.000+13:00", f"2026-11-04T09:{5 + i:02d}:00.000+13:00"] + vals
                       + [str(1000 + i), f"uuid-{i:04d}", "2026-11-04T09:30:00", "", "", "submitted_via_web",
                          "enumerator1", "vAbc", "", str(i + 1)])


def odk_central(inst, items, X):
    """ODK Central CSV: groups joined with '-', trailing review metadata; a repeat-group file with
    PARENT_KEY/KEY; and a copy whose every data row leaves out the last (empty) field."""
    meta_tail = ["meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
                 "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]
    cols = ["SubmissionDate", "start", "end"] + [f"qim-{inst.get_item(i).scale}-{i}" for i in items] + meta_tail
    rows = []
    for i in range(N):
        vals = [str(v) for v in X[i]]
        if i == 4:
            vals[3] = "7"   # out of range
        key = f"uuid:7f0c{i:04d}-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
        rows.append([f"2026-11-05T10:{i:02d}:33.512Z", "2026-11-05T09:40:01.101+01:00",
                     f"2026-11-05T09:{48 + i % 10:02d}:12.330+01:00"] + vals
                    + [key, key, "23", "Enumerator Two", "0", "0", "", "received" if i % 3 else "approved",
                       f"collect:Xy{i:02d}AbCd", "0", ""])
    with open(HERE / "odk_central.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows(rows)
    with open(HERE / "odk_central_short_rows.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows([r[:-1] for r in rows])   # FormVersion left out on every row
    # observer ratings of several colleagues: one repeat instance per rated colleague
    scale = inst.get_item(items[0]).scale
    rep_items = [i for i in items if inst.get_item(i).scale == scale]
    with open(HERE / "odk_central-ratings.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ratings-colleague"] + [f"ratings-{i}" for i in rep_items] + ["PARENT_KEY", "KEY"])
        for i in range(4):
            parent = f"uuid:7f0c{i:04d}-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
            for k in (1, 2):
                w.writerow([f"colleague {k}"] + [str((i + k + j) % 5 + 1) for j in range(len(rep_items))]
                           + [parent, f"{parent}/ratings[{k}]"])


def surveymonkey(inst, items, X):
    """SurveyMonkey "All responses" CSV and xlsx: two header rows (question text over the first of its
    columns; then Response / matrix row / answer option), answer texts as values."""
    lab = labels(inst)
    meta = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
            "First Name", "Last Name", "Custom Data 1"]
    top, second = list(meta), [""] * len(meta)
    scales = {}
    for i in items:
        scales.setdefault(inst.get_item(i).scale, []).append(inst.get_item(i))
    order = []
    for sid, its in scales.items():
        for k, it in enumerate(its):
            top.append("How much do you agree with each statement about yourself?" if k == 0 and sid == next(iter(scales))
                       else (f"Section {sid}: how much do you agree?" if k == 0 else ""))
            second.append(it.text["self"]["en"])
            order.append(items.index(it.id))
    top += ["Anything else you would like to tell us?"]
    second += ["Open-Ended Response"]
    body = []
    for i in range(N):
        vals = [lab[X[i][j]] if X[i][j] != "" else "" for j in order]
        if i == 9:
            vals[2] = "Agreee"  # unknown label
        body.append([str(114691547300 + i), "431870112", f"11/06/2026 10:{i:02d}:05 AM",
                     f"11/06/2026 10:{i + 12:02d}:41 AM", f"203.0.113.{i}", "", "", "", ""] + vals
                    + (["=HYPERLINK(\"http://example.org\")"] if i == 3 else [""]))
    with open(HERE / "surveymonkey.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerows([top, second] + body)
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet"
    for r in [top, second] + body:
        ws.append([None if v == "" else v for v in r])
    for row in ws.iter_rows(min_row=3):
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"   # an answer that looks like a formula stays text
    wb.save(HERE / "surveymonkey.xlsx")


def main():
    inst = load_instrument()
    items, X = responses(inst)
    qualtrics(inst, items, X)
    qualtrics_numeric_txt(inst, items, X)
    redcap_label(inst, items, X)
    limesurvey_codes(inst, items, X)
    kobo(inst, items, X)
    odk_central(inst, items, X)
    surveymonkey(inst, items, X)
    with open(HERE / "codes.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(items)
        w.writerows([[str(v) for v in row] for row in X])

if __name__ == "__main__":
    main()
