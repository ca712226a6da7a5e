#!/usr/bin/env python3
"""tests/brfr/compare.py - the comparison half of tests/brfr/agreement.sh (TAP).

compare.py PAIRS KNOWN BRFR_DIR [--stopped STOPPED] [--update] [--start N]
compare.py --inventory RULES BRFR_DIR [--start N]

BRFR_DIR holds BR-FR-Flux2-Schematron-{UBL,CII}.sch. The BR-FR rule id of an
assert is the id of its pattern when that is one rule id (BR-FR-15), else the
start of the assert's id, "BR-FR-" then an optional family and a number
(BR-FR-01_BT-1 in the CII pattern BR-FR-01_BR-FR-02 is BR-FR-01). The pattern
comes first because a few UBL assert ids are misspelt: BR-FR-08_BT-151-2 in
BR-FR-15, BR-FR-30_BT-21 in BR-FR-31, BR-FR-MV-BD_BT-3 in BR-FR-BD-13.

PAIRS: one line per file, "name<TAB>SVRL report<TAB>chorusgw validate output".
For each file, the BR-FR rule ids of the schematron's failed asserts and the
BR-FR rule ids of `chorusgw validate --route pa`'s errors must be the same set
(every BR-FR assert is fatal). STOPPED lists the files on which the schematron stopped
with an XPath error ("name<TAB>message": an element it reads as one value given twice,
XPTY0004), so that it judged nothing and wrote no whole report: chorusgw must refuse
those under its own rule REPEATED, and give REPEATED on no other file. KNOWN lists the disagreements not yet resolved,
one line per file, exactly as this script words them; --update rewrites it.
Prints TAP lines numbered from N+1; the exit status is 0 unless the input is
unreadable.

--inventory: RULES is the output of `chorusgw rules`; its BR-FR set must hold
every rule id of the schematrons (BR-FR-Flux2-Schematron-{UBL,CII}.sch under
BRFR_DIR) for the syntaxes that have it, with the asserts' flag, and nothing else.
"""
import importlib.util
import os
import re
import sys
import xml.etree.ElementTree as ET

# tests/cen/compare.py: reading `chorusgw rules` and a known-disagreements file
_spec = importlib.util.spec_from_file_location(
    "cen_compare", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cen", "compare.py"))
cen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cen)

SVRL = "{http://purl.oclc.org/dsdl/svrl}"
SCH = "{http://purl.oclc.org/dsdl/schematron}"
GW_LINE = re.compile(r"^error: .*\(rule (BR-FR-[A-Za-z0-9-]+|REPEATED)\)")
RULE_ID = re.compile(r"^BR-FR-(?:[A-Z]+-)?\d+")


def rule_ids(brfr_dir):
    """{syntax: {assert id: rule id}} from the schematrons."""
    out = {}
    for syntax in ("UBL", "CII"):
        m = out[syntax] = {}
        root = ET.parse(f"{brfr_dir}/BR-FR-Flux2-Schematron-{syntax}.sch").getroot()
        for p in root.iter(SCH + "pattern"):
            pid = p.get("id", "")
            for a in p.iter(SCH + "assert"):
                aid = a.get("id")
                if RULE_ID.fullmatch(pid):
                    m[aid] = pid
                else:
                    r = RULE_ID.match(aid)
                    m[aid] = r.group(0) if r else aid
    return out


def svrl_ids(path, rules):
    """The BR-FR rule ids of the failed asserts, or None without a report."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    return {rules.get(e.get("id", ""), e.get("id", "")) for e in root.iter(SVRL + "failed-assert")}


def gw_ids(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return {m.group(1) for m in map(GW_LINE.match, f) if m}


def inventory(rules_path, brfr_dir, start):
    sch = set()
    for syntax in ("UBL", "CII"):
        root = ET.parse(f"{brfr_dir}/BR-FR-Flux2-Schematron-{syntax}.sch").getroot()
        rules = rule_ids(brfr_dir)[syntax]
        sch |= {(rules[a.get("id")], syntax, a.get("flag")) for a in root.iter(SCH + "assert")}
    table = cen.rule_table(rules_path, "BR-FR")
    n = start + 1
    missing = sorted(f"{i} {s} ({flag})" for i, s, flag in sch - table)
    extra = sorted(f"{i} {s} ({flag})" for i, s, flag in table - sch)
    if missing or extra:
        print(f"not ok {n} - the BR-FR rule table is the schematrons' ids: missing {missing},"
              f" not in the schematrons {extra}")
    else:
        print(f"ok {n} - the BR-FR rule table is the schematrons' ids ({len(sch)} id-syntax pairs)")
    return 0


def main():
    args = sys.argv[1:]
    start = int(args[args.index("--start") + 1]) if "--start" in args else 0
    if args and args[0] == "--inventory":
        return inventory(args[1], args[2], start)
    opt_values = {args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--stopped", "--start")}
    pairs_path, known_path, brfr_dir = [a for a in args if not a.startswith("--") and a not in opt_values][:3]
    rules = rule_ids(brfr_dir)
    known = cen.read_known(known_path)
    stopped = {}
    if "--stopped" in args:
        with open(args[args.index("--stopped") + 1], encoding="utf-8") as f:
            stopped = dict(line.rstrip("\n").split("\t", 1) for line in f if "\t" in line)
    n = start
    files = disagree = 0
    new_known = []
    for line in open(pairs_path, encoding="utf-8"):
        name, svrl, out = line.rstrip("\n").split("\t")
        files += 1
        n += 1
        g = gw_ids(out)
        if name in stopped:
            # the schematron judged nothing: chorusgw must refuse it as REPEATED
            s = g | {"REPEATED"}
            if "REPEATED" in g:
                print(f"ok {n} - {name}: the schematron stops ({stopped[name][:100]}), chorusgw says REPEATED")
                continue
        else:
            s = svrl_ids(svrl, rules[name.split("/", 1)[0].upper()])
        if s is None:
            print(f"not ok {n} - {name}: no SVRL report from the BR-FR schematron")
            continue
        if s == g:
            if name in known:
                print(f"not ok {n} - {name}: agrees now; remove it from tests/brfr/known-disagreements")
            else:
                print(f"ok {n} - {name}: same BR-FR rules ({' '.join(sorted(s)) or 'none'})")
            continue
        disagree += 1
        text = "schematron only: %s | chorusgw only: %s" % (
            " ".join(sorted(s - g)) or "-", " ".join(sorted(g - s)) or "-")
        if bool(s) != bool(g):
            text += " | verdict: schematron %s, chorusgw %s" % (
                "not sendable" if s else "sendable", "not sendable" if g else "sendable")
        new_known.append(f"{name} | {text}")
        if known.get(name) == text:
            print(f"not ok {n} - {name}: {text} # TODO known disagreement")
        elif name in known:
            print(f"not ok {n} - {name}: {text} (was: {known[name]})")
        else:
            print(f"not ok {n} - {name}: {text}")
    print(f"# BR-FR agreement: {files} files, {disagree} disagree")
    if "--update" in args:
        with open(known_path, "w", encoding="utf-8") as f:
            f.write("# Disagreements between chorusgw validate --route pa and the BR-FR\n"
                    "# schematron not yet resolved (tests/brfr/agreement.sh; UPDATE_KNOWN=1\n"
                    "# rewrites it). file | ids only the schematron reports | only chorusgw\n")
            for line in sorted(new_known):
                f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
