#!/bin/sh
# The C BR-FR-CDV rules (src/cdar.c) agree with the BR-FR-CDV schematron (TAP).
#
# Three sets of lifecycle messages go through both cdar_check() and the schematron
# BR-FR-CDV-Schematron-CDAR.sch V1.4.0 (compiled to XSLT 2.0 with the ISO Schematron
# skeleton, run by Saxon-HE over a folder in one run):
#   - every case of tests/unit/cdar-cases.h: a clean message and one mutation per
#     rule, written by cdardrv (the C verdict is computed again, not the expected one),
#     then read back by cdar_read(), which must find the same;
#   - the messages chorusgw makes of status files (cdardrv status), good and bad,
#     from the buyer and from the seller;
#   - the messages the PA emulator sends (its build_cdar(), tests/cdar/emulator-cdars.py:
#     platform, buyer, Chorus Pro and seller statuses), read by cdar_read().
# For each message the set of (flag, rule id) must be the same: fatal = error,
# warning = warning; the status files' own rules (STATUS) are not the schematron's.
# Every message must also be valid against the CDAR D22B XSD (schemas/cdar-d22b,
# xmllint).
#
# Neither the schematron nor the skeleton is part of this tree: the schematron is
# $CDV_SCHEMATRON, else shared/reference/reform/cdar/BR-FR-CDV-Schematron-CDAR.sch
# beside the checkout (or one level further up); the skeleton is in
# $SCHEMATRON_XSLT_DIR, else shared/reference/schematron beside the checkout (or one
# level up), else ${XDG_CACHE_HOME:-~/.cache}/chorusgw/schematron (tests/cdar/fetch
# copies it there from a clone of Schematron/schematron). Without them, or without
# Java and Saxon-HE ($SAXON_JAR, default /usr/share/java/Saxon-HE.jar), the test is
# skipped.
. "$top_srcdir/tests/lib.sh"

sch=${CDV_SCHEMATRON:-}
if [ -z "$sch" ]; then
	for d in "$top_srcdir/../shared" "$top_srcdir/../../shared"; do
		f=$d/reference/reform/cdar/BR-FR-CDV-Schematron-CDAR.sch
		[ -f "$f" ] && sch=$f && break
	done
fi
skel=${SCHEMATRON_XSLT_DIR:-}
if [ -z "$skel" ]; then
	for d in "$top_srcdir/../shared/reference/schematron" \
		"$top_srcdir/../../shared/reference/schematron" \
		"${XDG_CACHE_HOME:-$HOME/.cache}/chorusgw/schematron"; do
		[ -f "$d/SOURCE" ] && skel=$d && break
	done
fi
saxon=${SAXON_JAR:-/usr/share/java/Saxon-HE.jar}
if [ -z "$sch" ] || [ ! -f "$sch" ]; then
	echo "1..0 # SKIP no BR-FR-CDV schematron (set CDV_SCHEMATRON)"
	exit 0
fi
if [ -z "$skel" ] || [ ! -f "$skel/iso_svrl_for_xslt2.xsl" ]; then
	echo "1..0 # SKIP no ISO Schematron skeleton (run tests/cdar/fetch, or set SCHEMATRON_XSLT_DIR)"
	exit 0
fi
if ! command -v java >/dev/null 2>&1 || [ ! -f "$saxon" ]; then
	echo "1..0 # SKIP java or Saxon-HE ($saxon) not found"
	exit 0
fi
: "${CDARDRV:=$top_builddir/tests/unit/cdardrv}"
diag "schematron: $(sed -n 's/.*\(Schematron [0-9_]*BR-FR-CDV[^ ]*\).*/\1/p' "$sch" | head -n 1)" \
	"skeleton: $(sed -n 's/^revision: //p' "$skel/SOURCE") ($(sed -n 's/^commit: //p' "$skel/SOURCE"))"

saxon() { java -cp "$saxon" net.sf.saxon.Transform "$@"; }
# The compilation, in the skeleton's four stages (its readme)
if saxon -s:"$sch" -xsl:"$skel/iso_dsdl_include.xsl" -o:"$T/1.sch" 2>"$T/compile.log" &&
	saxon -s:"$T/1.sch" -xsl:"$skel/iso_abstract_expand.xsl" -o:"$T/2.sch" 2>>"$T/compile.log" &&
	saxon -s:"$T/2.sch" -xsl:"$skel/iso_svrl_for_xslt2.xsl" -o:"$T/cdv.xsl" 2>>"$T/compile.log"; then
	ok "the schematron compiles to XSLT 2.0"
else
	not_ok "the schematron compiles to XSLT 2.0"
	diag "$(head -n 20 "$T/compile.log")"
	done_testing
fi

mkdir -p "$T/xml" "$T/c" "$T/svrl"
"$CDARDRV" cases "$T/c" || not_ok "cdardrv cases"
for f in "$T"/c/*.xml; do mv "$f" "$T/xml/"; done
ncases=$(ls "$T/xml" | wc -l)

# status NAME buyer|seller TEXT : the message of a status file (invoice F-2026-001)
status() {
	printf '%b' "$3" >"$T/$1.status"
	"$CDARDRV" status "$2" "$T/$1.status" "$T/xml/status-$1.xml" number=F-2026-001 \
		type_code=380 issue_date=2026-09-15 seller_siren=732829320 seller_name='Fournisseur SA' \
		seller_address=732829320_FACT buyer_siren=552081317 buyer_name='Acheteur SAS' \
		total=1200.00 vat_rates='20' >"$T/$1.out" || not_ok "cdardrv status $1"
	grep -v '^error STATUS ' "$T/$1.out" >"$T/c/status-$1.c" || :
}
status 204 buyer 'status = 204\n'
status 205 buyer 'status = 205\nreason = OK pour paiement\n'
status 206 buyer 'status = 206\nreason_code = QTE_ERR\namount = 600.00\n'
status 206-no-reason buyer 'status = 206\namount = 600.00\n'
status 207 buyer 'status = 207\nreason_code = PU_ERR\nreason = prix unitaire\n'
status 207-wrong buyer 'status = 207\nreason_code = JUSTIF_ABS\n'
status 208 buyer 'status = 208\nreason_code = JUSTIF_ABS\n'
status 208-no-reason buyer 'status = 208\n'
status 210 buyer 'status = 210\nreason_code = TX_TVA_ERR\nreason = 5,5 %% et non 20 %%\n'
status 210-no-reason buyer 'status = 210\nreason = sans code\n'
status 210-wrong buyer 'status = 210\nreason_code = QTE_ERR\n'
status 210-unknown buyer 'status = 210\nreason_code = PAS_UN_CODE\n'
status 211 buyer 'status = 211\namount = 1200.00\n'
status 212 seller 'status = 212\namount = 1200.00\n'
status 212-rate seller 'status = 212\namount = 100.00\nvat_rate = 5.5\n'
status 212-no-amount seller 'status = 212\n'
status 299 buyer 'status = 299\n'

# the emulator's messages, judged in C through cdar_read()
if /usr/bin/python3 "$top_srcdir/tests/cdar/emulator-cdars.py" "$top_srcdir/tests/emulator/pa-emulator" \
	"$T/xml" 2>"$T/emu.err"; then
	for f in "$T"/xml/emulator-*.xml; do
		n=$(basename "$f" .xml)
		"$CDARDRV" read "$f" >"$T/c/$n.c" || not_ok "cdardrv read $n: $(cat "$T/c/$n.c")"
	done
else
	not_ok "the PA emulator's messages"
	diag "$(tail -n 5 "$T/emu.err")"
fi

saxon -s:"$T/xml" -xsl:"$T/cdv.xsl" -o:"$T/svrl" >"$T/saxon.log" 2>&1 ||
	diag "Saxon said:" "$(head -n 20 "$T/saxon.log")"

# flag and id of every failed assertion of an SVRL report, one a line, sorted
svrl_ids() {
	python3 - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
ns = "{http://purl.oclc.org/dsdl/svrl}"
out = set()
for fa in ET.parse(sys.argv[1]).iter(ns + "failed-assert"):
    flag = fa.get("flag", "fatal")
    out.add(("error" if flag == "fatal" else flag) + " " + fa.get("id", "?"))
print("\n".join(sorted(out)))
PY
}
xsd=$top_srcdir/schemas/cdar-d22b/CrossDomainAcknowledgementAndResponse_100pD22B.xsd
nfired=0
for f in "$T"/xml/*.xml; do
	n=$(basename "$f" .xml)
	if [ ! -f "$T/svrl/$n.xml" ]; then
		not_ok "$n: the schematron judged it"
		continue
	fi
	s=$(svrl_ids "$T/svrl/$n.xml")
	c=$(cut -d' ' -f1,2 "$T/c/$n.c" | sort -u)
	[ -n "$s" ] && nfired=$((nfired + $(echo "$s" | wc -l)))
	is "$n: the C rules and the schematron agree ($(echo $s | tr '\n' ' '))" "$c" "$s"
	case $n in case-*)
		"$CDARDRV" read "$f" | cut -d' ' -f1,2 | sort -u >"$T/back"
		is "$n: read back, the same verdict" "$(cat "$T/back")" "$c"
		;;
	esac
	if xmllint --noout --nonet --schema "$xsd" "$f" >/dev/null 2>"$T/xsd.err"; then
		ok "$n: valid against the CDAR D22B XSD"
	else
		not_ok "$n: valid against the CDAR D22B XSD"
		diag "$(head -n 5 "$T/xsd.err")"
	fi
done
diag "$ncases cases, $(ls "$T"/*.status | wc -l) status files, $(ls "$T"/xml/emulator-*.xml | wc -l) emulator messages; $nfired failed assertions in all"
done_testing
