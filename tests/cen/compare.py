#!/usr/bin/env python3
"""tests/cen/compare.py - the comparison half of tests/cen/agreement.sh (TAP).

compare.py PAIRS KNOWN [--update [--keep-others]] [--cen CEN_DIR] [--start N]
compare.py --inventory RULES CEN_DIR [--start N]

PAIRS: one line per file, "name<TAB>SVRL report<TAB>chorusgw validate output".
For each file, the EN 16931 rule ids that the CEN schematron reports (failed
asserts, with their flag) and those that `chorusgw validate` reports (error =
fatal, warning = warning; only ids of the CEN families, since Chorus Pro's own
rules are not in the artefacts; with --cen, neither are the EN 16931 rules the
artefacts of that syntax lack, such as BR-CO-25) must be the same set. KNOWN lists the
disagreements not yet resolved, one line per file, exactly as this script words
them; --update rewrites it from this run (--keep-others: keeping the lines of
files not in PAIRS, for a run on a subset). Prints TAP lines numbered from N+1 and
a summary as diagnostics; the exit status is 0 unless the input is unreadable.

--inventory: RULES is the output of `chorusgw rules`; every rule id of the CEN
artefacts (compiled XSLT under CEN_DIR) must have a row in its EN 16931 set for
its syntax with the same flag, and every row of that set must be a CEN id.
"""
import collections
import re
import sys
import xml.etree.ElementTree as ET

SVRL = "{http://purl.oclc.org/dsdl/svrl}"
CEN_ID = re.compile(r"^(BR-|UBL-|CII-)")
GW_LINE = re.compile(r"^(error|warning): .*\(rule ([A-Za-z0-9-]+)\)")


def cen_ids(path):
    """{(id, 'fatal'|'warning')} of the failed asserts, or None without a report."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    out = set()
    for tag in ("failed-assert", "successful-report"):
        for e in root.iter(SVRL + tag):
            out.add((e.get("id"), "warning" if e.get("flag") == "warning" else "fatal"))
    return out


def gw_ids(path):
    out = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = GW_LINE.match(line)
            if m and CEN_ID.match(m.group(2)):
                out.add((m.group(2), "fatal" if m.group(1) == "error" else "warning"))
    return out


def words(ids):
    return " ".join(i + ("" if flag == "fatal" else "(w)") for i, flag in sorted(ids))


def rule_table(rules_path, set_name):
    """{(id, syntax, flag)}: the rows of the rule set `set_name` in the output of
    `chorusgw rules` (also tests/brfr/compare.py's)."""
    table = set()
    section = None
    with open(rules_path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# "):
                section = line[2:].split(":", 1)[0]
            if line.startswith("#") or section != set_name:
                continue
            i, syntaxes, flag = line.split("\t")[:3]
            for syntax in syntaxes.split():
                table.add((i, syntax, flag))
    return table


def read_known(known_path):
    """{file name: disagreement} from a known-disagreements file (none if absent)."""
    known = {}
    try:
        with open(known_path, encoding="utf-8") as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    name, _, rest = line.rstrip("\n").partition(" | ")
                    known[name] = rest
    except FileNotFoundError:
        pass
    return known


def artefact_rules(cen_dir):
    """{(id, 'UBL'|'CII', flag)}: every assert of the CEN artefacts (compiled XSLT)."""
    assert_re = re.compile(r'<xsl:attribute name="id">([^<]*)</xsl:attribute>\s*'
                           r'<xsl:attribute name="flag">([^<]*)<')
    cen = set()
    for syntax in ("UBL", "CII"):
        path = f"{cen_dir}/{syntax.lower()}/xslt/EN16931-{syntax}-validation.xslt"
        with open(path, encoding="utf-8") as f:
            for i, flag in assert_re.findall(f.read()):
                cen.add((i, syntax, flag))
    return cen


def inventory(rules_path, cen_dir, start):
    """TAP lines: the rule table against the ids and flags of the CEN artefacts."""
    cen = artefact_rules(cen_dir)
    table = rule_table(rules_path, "EN 16931")
    n = start
    for syntax in ("UBL", "CII"):
        n += 1
        missing = sorted(f"{i} ({flag})" for i, s, flag in cen - table if s == syntax)
        if missing:
            print(f"not ok {n} - every {syntax} rule of the CEN artefacts is in the rule table:"
                  f" {len(missing)} missing: {' '.join(missing[:40])}")
        else:
            print(f"ok {n} - every {syntax} rule of the CEN artefacts is in the rule table"
                  f" ({sum(1 for x in cen if x[1] == syntax)} ids)")
    n += 1
    extra = sorted(f"{i} {s} ({flag})" for i, s, flag in table - cen)
    if extra:
        print(f"not ok {n} - every row of the rule table is a CEN rule: {' '.join(extra[:40])}")
    else:
        print(f"ok {n} - every row of the rule table is a CEN rule")
    return 0


def main():
    args = sys.argv[1:]
    if args and args[0] == "--inventory":
        start = int(args[args.index("--start") + 1]) if "--start" in args else 0
        return inventory(args[1], args[2], start)
    update = "--update" in args
    keep_others = "--keep-others" in args
    start = 0
    if "--start" in args:
        start = int(args[args.index("--start") + 1])
    known_ids = None
    if "--cen" in args:
        i = args.index("--cen")
        known_ids = {}
        for rule, syntax, _ in artefact_rules(args[i + 1]):
            known_ids.setdefault(syntax.lower(), set()).add(rule)
        del args[i:i + 2]
    pairs_path, known_path = [a for a in args if not a.startswith("--") and not a.isdigit()][:2]
    known = read_known(known_path)

    n = start
    files = disagree = verdicts = 0
    cen_only = collections.Counter()
    gw_only = collections.Counter()
    new_known = []
    seen = set()
    for line in open(pairs_path, encoding="utf-8"):
        name, svrl, out = line.rstrip("\n").split("\t")
        seen.add(name)
        files += 1
        c = cen_ids(svrl)
        g = gw_ids(out)
        if known_ids is not None:
            g = {x for x in g if x[0] in known_ids[name.split("/", 1)[0]]}
        n += 1
        if c is None:
            print(f"not ok {n} - {name}: no SVRL report from the CEN artefacts")
            continue
        if name.split("/", 1)[1].startswith("golden-"):
            fatal = sorted(i for i, flag in c if flag == "fatal")
            if fatal:
                print(f"not ok {n} - {name} passes EN 16931: {' '.join(fatal)}")
            else:
                print(f"ok {n} - {name} passes EN 16931")
            n += 1
        if c == g:
            if name in known:
                print(f"not ok {n} - {name}: agrees now; remove it from tests/cen/known-disagreements")
            else:
                print(f"ok {n} - {name}: same rules ({words(c) or 'none'})")
            continue
        disagree += 1
        cv = any(flag == "fatal" for _, flag in c)
        gv = any(flag == "fatal" for _, flag in g)
        if cv != gv:
            verdicts += 1
        for x in c - g:
            cen_only[x] += 1
        for x in g - c:
            gw_only[x] += 1
        text = "CEN only: %s | chorusgw only: %s%s" % (
            words(c - g) or "-", words(g - c) or "-",
            "" if cv == gv else " | verdict: CEN %s, chorusgw %s" % (
                "not sendable" if cv else "sendable", "not sendable" if gv else "sendable"))
        new_known.append(f"{name} | {text}")
        if known.get(name) == text:
            print(f"not ok {n} - {name}: {text} # TODO known disagreement")
        elif name in known:
            print(f"not ok {n} - {name}: {text} (was: {known[name]})")
        else:
            print(f"not ok {n} - {name}: {text}")

    print(f"# agreement: {files} files, {disagree} disagree ({verdicts} on the verdict)")
    print(f"# rule ids reported by CEN only: {len(cen_only)} ({sum(cen_only.values())} times);"
          f" by chorusgw only: {len(gw_only)} ({sum(gw_only.values())} times)")
    for label, cnt in (("CEN only", cen_only), ("chorusgw only", gw_only)):
        top = ", ".join(f"{words([k])} {v}" for k, v in cnt.most_common(15))
        if top:
            print(f"# most frequent {label}: {top}")
    if update:
        if keep_others:
            new_known += [f"{k} | {v}" for k, v in known.items() if k not in seen]
        with open(known_path, "w", encoding="utf-8") as f:
            f.write("# Disagreements between chorusgw validate and the CEN EN 16931 artefacts\n"
                    "# not yet resolved (tests/cen/agreement.sh; UPDATE_KNOWN=1 rewrites it).\n"
                    "# file | rule ids only CEN reports | only chorusgw reports [| verdicts]\n"
                    "# (w) = warning, else fatal\n")
            for line in sorted(new_known):
                f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
