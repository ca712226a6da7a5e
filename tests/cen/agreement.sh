#!/bin/sh
# The pre-flight agrees with the CEN EN 16931 validation artefacts (TAP).
#
# Every CEN test and example file (the unit test sets split one invoice per
# file), every public sample (tests/samples), every golden file
# (tests/xslt/golden), our own variants of golden files (tests/cen/mutations) and
# the UBL and CII that `chorusgw transform` makes of every
# ERP export (xslt/examples, tests/xslt/input) goes through both the CEN
# schematron (compiled XSLT 2.0, Saxon-HE, one run per syntax over a folder) and
# `chorusgw validate` (the ERP exports themselves for the last group; no XSD:
# the CEN artefacts do not check the schema either). First, the rule table
# (`chorusgw rules`, src/rules.c) must hold every rule id of the artefacts, UBL
# and CII, with its flag, and nothing else. Then, for each file, the set of EN 16931 rule ids that fire, with their flag (fatal = error,
# warning = warning), must be the same; Chorus Pro's own rules (SIRET, CADRE...)
# and the EN 16931 rules the artefacts lack (BR-CO-25)
# are not in the CEN artefacts and are not compared. The golden files must also
# pass the CEN artefacts (no fatal rule).
#
# Disagreements not yet resolved are listed, exactly as they are, in
# tests/cen/known-disagreements: such a file is reported as TODO; a listed file
# whose disagreement changed, or that now agrees, fails until the list is
# brought up to date (UPDATE_KNOWN=1 rewrites it; review the diff).
#
# CEN_SUBSET=REGEX (grep -E on the names, such as "ubl/cen-.*BR-CL") narrows the run
# to those files, to iterate; with UPDATE_KNOWN=1 the other files' lines are kept.
#
# The artefacts are not part of this tree (tests/cen/fetch copies them from a
# clone of eInvoicing-EN16931): $CEN_EN16931_DIR, else shared/reference/en16931
# beside the checkout (or one level further up), else
# ${XDG_CACHE_HOME:-~/.cache}/chorusgw/en16931. Without them, or without Java
# and Saxon-HE ($SAXON_JAR, default /usr/share/java/Saxon-HE.jar), the test is
# skipped.
. "$top_srcdir/tests/lib.sh"

cen=${CEN_EN16931_DIR:-}
if [ -z "$cen" ]; then
	for d in "$top_srcdir/../shared/reference/en16931" \
		"$top_srcdir/../../shared/reference/en16931" \
		"${XDG_CACHE_HOME:-$HOME/.cache}/chorusgw/en16931"; do
		[ -f "$d/SOURCE" ] && cen=$d && break
	done
fi
saxon=${SAXON_JAR:-/usr/share/java/Saxon-HE.jar}
if [ -z "$cen" ] || [ ! -f "$cen/ubl/xslt/EN16931-UBL-validation.xslt" ]; then
	echo "1..0 # SKIP no CEN artefacts (run tests/cen/fetch, or set CEN_EN16931_DIR)"
	exit 0
fi
if ! command -v java >/dev/null 2>&1 || [ ! -f "$saxon" ]; then
	echo "1..0 # SKIP java or Saxon-HE ($saxon) not found"
	exit 0
fi
diag "CEN artefacts: $(sed -n 's/^revision: //p' "$cen/SOURCE") ($(sed -n 's/^commit: //p' "$cen/SOURCE"))"

# The rule table (src/rules.c, `chorusgw rules`) has every CEN id, with its flag.
"$CHORUSGW" rules >"$T/rules" || not_ok "chorusgw rules"
python3 "$top_srcdir/tests/cen/compare.py" --inventory "$T/rules" "$cen" --start "$tap_n" >"$T/tap"
cat "$T/tap"
tap_n=$(sed -n 's/^\(not \)\{0,1\}ok \([0-9]*\).*/\2/p' "$T/tap" | tail -n 1)

write_private "$T/ubl.ini" <<CONF
[transform]
stylesheet_dir = $top_srcdir/xslt
schema_dir =
[chorus]
syntax = ubl
CONF
write_private "$T/cii.ini" <<CONF
[transform]
stylesheet_dir = $top_srcdir/xslt
schema_dir =
[chorus]
syntax = cii
CONF

in=$T/in
mkdir -p "$in/ubl" "$in/cii" "$T/svrl/ubl" "$T/svrl/cii" "$T/gw"
: >"$T/sources" # name <TAB> file to validate <TAB> config

# copy SRC NAME SYNTAX : a file both sides read as it is
copy() {
	cp "$1" "$in/$3/$2.xml" && printf '%s/%s.xml\t%s\t%s\n' "$3" "$2" "$in/$3/$2.xml" "$T/$3.ini" >>"$T/sources"
}
safe() { basename "$1" | sed 's/\.[xX][mM][lL]$//; s/[^A-Za-z0-9_.-]/_/g'; }

for f in "$cen"/ubl/examples/* "$cen"/test/testfiles/*; do copy "$f" "cen-$(safe "$f")" ubl; done
for f in "$cen"/cii/examples/*; do copy "$f" "cen-$(safe "$f")" cii; done
for f in "$cen"/test/*/*.xml; do
	grep -q '<testSet' "$f" || continue
	d=$(basename "$(dirname "$f")")
	xsltproc --nonet --stringparam dir "$in" --stringparam prefix "cen-$d-$(safe "$f")" \
		"$top_srcdir/tests/cen/split.xsl" "$f" || not_ok "split $f"
done
for f in "$in"/*/cen-*-unit-*.xml "$in"/cii/cen-cii-*.xml; do
	[ -f "$f" ] || continue
	s=$(basename "$(dirname "$f")")
	printf '%s/%s\t%s\t%s\n' "$s" "$(basename "$f")" "$f" "$T/$s.ini" >>"$T/sources"
done
for s in ubl cii; do
	for f in "$top_srcdir"/tests/samples/$s/*.xml; do copy "$f" "sample-$(safe "$f")" $s; done
	for f in "$top_srcdir"/tests/xslt/golden/*.$s.xml; do copy "$f" "golden-$(safe "$f")" $s; done
	for f in "$top_srcdir"/xslt/examples/*.xml "$top_srcdir"/xslt/examples/pa/*.xml "$top_srcdir"/tests/xslt/input/*.xml; do
		n=erp-$(safe "$f")
		if "$CHORUSGW" -c "$T/$s.ini" transform "$f" >"$in/$s/$n.xml" 2>"$T/t.err"; then
			printf '%s/%s.xml\t%s\t%s\n' "$s" "$n" "$f" "$T/$s.ini" >>"$T/sources"
		else
			rm -f "$in/$s/$n.xml"
			not_ok "chorusgw transform $f ($s)"
			diag "$(cat "$T/t.err")"
		fi
	done
done

# Our own cases (tests/cen/mutations): a golden file changed by a sed script, for
# what neither the CEN files nor the ERP format can make.
grep -v '^#' "$top_srcdir/tests/cen/mutations" | while IFS="$(printf '\t')" read -r name golden script; do
	[ -n "$name" ] || continue
	s=${golden%.xml}
	s=${s##*.}
	n=mut-${golden%.*.xml}-$name
	sed -e "$script" "$top_srcdir/tests/xslt/golden/$golden" >"$in/$s/$n.xml"
	cmp -s "$top_srcdir/tests/xslt/golden/$golden" "$in/$s/$n.xml" &&
		echo "mutation $name of $golden changed nothing" >>"$T/unchanged"
	printf '%s/%s.xml\t%s\t%s\n' "$s" "$n" "$in/$s/$n.xml" "$T/$s.ini" >>"$T/sources"
done
if [ -s "$T/unchanged" ]; then
	not_ok "every mutation changes its golden file"
	diag "$(cat "$T/unchanged")"
else
	ok "every mutation changes its golden file"
fi

if [ -n "${CEN_SUBSET:-}" ]; then
	awk -F '\t' -v re="$CEN_SUBSET" '$1 ~ re' "$T/sources" >"$T/sources.sub"
	mv "$T/sources.sub" "$T/sources"
	cut -f 1 "$T/sources" >"$T/names"
	for f in "$in"/ubl/*.xml "$in"/cii/*.xml; do
		grep -qxF "$(basename "$(dirname "$f")")/$(basename "$f")" "$T/names" || rm -f "$f"
	done
fi

# One Saxon run per syntax: compiling the rules costs seconds, a file milliseconds.
for s in ubl cii; do
	S=$(echo $s | tr a-z A-Z)
	java -cp "$saxon" net.sf.saxon.Transform -s:"$in/$s" -o:"$T/svrl/$s" \
		-xsl:"$cen/$s/xslt/EN16931-$S-validation.xslt" >"$T/saxon-$s.log" 2>&1 ||
		diag "Saxon ($s) said:" "$(head -n 20 "$T/saxon-$s.log")"
done

i=0
while IFS="$(printf '\t')" read -r name file conf; do
	i=$((i + 1))
	"$CHORUSGW" -c "$conf" validate "$file" >"$T/gw/$i.out" 2>&1
	printf '%s\t%s\t%s\n' "$name" "$T/svrl/$name" "$T/gw/$i.out"
done <"$T/sources" >"$T/pairs"

known=$top_srcdir/tests/cen/known-disagreements
python3 "$top_srcdir/tests/cen/compare.py" "$T/pairs" "$known" --cen "$cen" ${UPDATE_KNOWN:+--update} \
	${CEN_SUBSET:+--keep-others} \
	--start "$tap_n" >"$T/tap" || not_ok "compare.py ran"
cat "$T/tap"
tap_n=$(sed -n 's/^\(not \)\{0,1\}ok \([0-9]*\).*/\2/p' "$T/tap" | tail -n 1)
done_testing
