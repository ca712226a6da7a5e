#!/bin/bash
# Golden-file tests of the shipped stylesheets (TAP).
#
# For every ERP export in xslt/examples/ and tests/xslt/input/:
#   - the export validates against xslt/erp-invoice.xsd;
#   - xslt/erp-to-ubl.xsl and xslt/erp-to-cii.xsl produce exactly
#     tests/xslt/golden/<name>.ubl.xml and <name>.cii.xml;
#   - each output validates against the UBL 2.1 (Invoice or CreditNote) or the
#     CII D16B schema in schemas/;
#   - with route=pa (a Plateforme Agréée), the output validates against UBL 2.1
#     or CII D22B and differs from the Chorus Pro one in BT-23 only (and, in CII,
#     the SIREN where Chorus Pro reads the SIRET); an export
#     meant for it (it has billing-mode or operation) also gives exactly
#     tests/xslt/golden/<name>.pa.ubl.xml and <name>.pa.cii.xml.
# Then how the PA route derives BT-23, and several preceding invoices (CII
# D22B only).
# Stylesheet parameters are the defaults, unless tests/xslt/input/<name>.params
# exists: one "name=value" per line, passed with --stringparam.
# Both stylesheets must also refuse a document that is not an ERP export.
#
# Environment:
#   srcdir          repository root (default: two levels above this script)
#   UPDATE_GOLDEN=1 rewrite the golden files instead of comparing (then
#                   review the diff with git before committing)
#
# xsltproc runs with --nonet --nowrite --nomkdir, xmllint with --nonet.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=${srcdir:-$(cd "$here/../.." && pwd)}
xslt=$srcdir/xslt
golden=$srcdir/tests/xslt/golden
ubl_invoice_xsd=$srcdir/schemas/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd
ubl_creditnote_xsd=$srcdir/schemas/ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd
cii_xsd=$srcdir/schemas/cii-d16b/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd
cii_d22b_xsd=$srcdir/schemas/cii-d22b/CrossIndustryInvoice_100pD22B.xsd
erp_xsd=$xslt/erp-invoice.xsd
update=${UPDATE_GOLDEN:-0}

for tool in xsltproc xmllint; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "1..0 # SKIP $tool not found"
        exit 0
    fi
done

if [ ! -f "$erp_xsd" ] || [ ! -f "$xslt/erp-to-ubl.xsl" ]; then
    echo "Bail out! no stylesheets under srcdir=$srcdir"
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

inputs=()
for f in "$xslt"/examples/*.xml "$xslt"/examples/pa/*.xml "$srcdir"/tests/xslt/input/*.xml; do
    [ -f "$f" ] && inputs+=("$f")
done

n=0
failed=0

ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}

not_ok() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    if [ -s "$tmp/why" ]; then
        sed -e 's/^/# /' "$tmp/why" | head -n 40
    fi
}

# check DESCRIPTION COMMAND...: ok when COMMAND succeeds; its output, if any,
# is shown as TAP diagnostics on failure.
check() {
    local what=$1
    shift
    if "$@" >"$tmp/why" 2>&1; then
        ok "$what"
    else
        not_ok "$what"
    fi
}

# transform SHEET INPUT OUTPUT [ROUTE]: run xsltproc with the input's parameters
# (and route=ROUTE).
transform() {
    local sheet=$1 input=$2 output=$3
    local params=() pfile=${input%.xml}.params name value
    [ -n "${4:-}" ] && params+=(--stringparam route "$4")
    if [ -f "$pfile" ]; then
        while IFS='=' read -r name value; do
            case $name in ''|'#'*) continue ;; esac
            params+=(--stringparam "$name" "$value")
        done <"$pfile"
    fi
    xsltproc --nonet --nowrite --nomkdir "${params[@]}" "$sheet" "$input" >"$output"
}

# golden NAME SYNTAX INPUT [ROUTE]: transform and compare with (or update) the
# golden file (NAME.SYNTAX.xml; NAME.ROUTE.SYNTAX.xml for a ROUTE).
golden_check() {
    local name=$1 syntax=$2 input=$3 route=${4:-}
    local out=$tmp/$name.$syntax.xml ref=$golden/$name.$syntax.xml
    if [ -n "$route" ]; then
        out=$tmp/$name.$route.$syntax.xml ref=$golden/$name.$route.$syntax.xml
    fi
    if ! transform "$xslt/erp-to-$syntax.xsl" "$input" "$out" "$route" 2>"$tmp/why"; then
        not_ok "$name: erp-to-$syntax.xsl${route:+ (route $route)} fails"
        return
    fi
    if [ "$update" = 1 ]; then
        mkdir -p "$golden"
        cp "$out" "$ref"
        ok "$name: $syntax${route:+ (route $route)} golden file updated"
    elif [ ! -f "$ref" ]; then
        echo "missing $ref (run with UPDATE_GOLDEN=1)" >"$tmp/why"
        not_ok "$name: $syntax${route:+ (route $route)} output matches golden file"
    elif diff -u "$ref" "$out" >"$tmp/why"; then
        ok "$name: $syntax${route:+ (route $route)} output matches golden file"
    else
        not_ok "$name: $syntax${route:+ (route $route)} output matches golden file"
    fi
}

# schema_check NAME SYNTAX [OUT]: validate the transformed output (CII: D22B when
# OUT is a route pa output).
schema_check() {
    local name=$1 syntax=$2 out=${3:-$tmp/$1.$2.xml} xsd root
    if [ ! -s "$out" ]; then
        echo "no output" >"$tmp/why"
        not_ok "$name: $syntax output validates against its schema"
        return
    fi
    if [ "$syntax" = cii ] && [ "$out" != "${out%.pa.cii.xml}" ]; then
        xsd=$cii_d22b_xsd
    elif [ "$syntax" = cii ]; then
        xsd=$cii_xsd
    else
        root=$(xmllint --nonet --xpath 'local-name(/*)' "$out" 2>/dev/null)
        case $root in
            CreditNote) xsd=$ubl_creditnote_xsd ;;
            *) xsd=$ubl_invoice_xsd ;;
        esac
    fi
    check "$name: $(basename "$out" .xml) validates against $(basename "$xsd")" \
        xmllint --nonet --noout --schema "$xsd" "$out"
}

# only_bt23 NAME SYNTAX: the route pa output is the Chorus Pro one but for BT-23
# (and, in CII, the SIREN in SpecifiedLegalOrganization where Chorus Pro reads the
# SIRET).
only_bt23() {
    local name=$1 syntax=$2
    local a=$tmp/$name.$syntax.xml b=$tmp/$name.pa.$syntax.xml
    diff "$a" "$b" | grep '^[<>]' | grep -v \
        -e '<cbc:ProfileID>' -e '<ram:ID>[ABMS][0-9]*</ram:ID>' \
        -e 'BusinessProcessSpecifiedDocumentContextParameter>' \
        -e '<ram:ID schemeID="0009">[0-9]\{14\}</ram:ID>' \
        -e '<ram:ID schemeID="0002">[0-9]\{9\}</ram:ID>' >"$tmp/why"
    if [ -s "$a" ] && [ -s "$b" ] && [ ! -s "$tmp/why" ]; then
        ok "$name: $syntax for route pa differs in BT-23 (and the CII legal ids) only"
    else
        not_ok "$name: $syntax for route pa differs in BT-23 (and the CII legal ids) only"
    fi
}

for input in "${inputs[@]}"; do
    name=$(basename "$input" .xml)
    check "$name: export validates against erp-invoice.xsd" \
        xmllint --nonet --noout --schema "$erp_xsd" "$input"
    for syntax in ubl cii; do
        golden_check "$name" "$syntax" "$input"
        schema_check "$name" "$syntax"
        # the same export for a Plateforme Agréée
        if grep -q -e '<billing-mode>' -e '<operation>' "$input"; then
            golden_check "$name" "$syntax" "$input" pa
        elif transform "$xslt/erp-to-$syntax.xsl" "$input" "$tmp/$name.pa.$syntax.xml" pa \
                2>"$tmp/why"; then
            ok "$name: erp-to-$syntax.xsl for route pa"
        else
            not_ok "$name: erp-to-$syntax.xsl for route pa"
        fi
        schema_check "$name" "$syntax" "$tmp/$name.pa.$syntax.xml"
        only_bt23 "$name" "$syntax"
    done
done

# BT-23 on the PA route: billing-mode, else operation and cadre A1 (or none) or A2.
bt23() { # EXPECTED SED-EXPRESSION: invoice-b2b.xml edited, both syntaxes
    local want=$1 what=$2 syntax got
    sed "$what" "$xslt/examples/pa/invoice-b2b.xml" >"$tmp/bt23.xml"
    for syntax in ubl cii; do
        got=$(xsltproc --nonet --nowrite --nomkdir --stringparam route pa \
            "$xslt/erp-to-$syntax.xsl" "$tmp/bt23.xml" 2>"$tmp/why" |
            sed -n -e 's|.*<cbc:ProfileID>\(.*\)</cbc:ProfileID>.*|\1|p' \
                -e '/BusinessProcessSpecified/{n;s|.*<ram:ID>\(.*\)</ram:ID>.*|\1|p;}')
        if [ "$got" = "$want" ]; then
            ok "route pa, $syntax: BT-23 is ${want:-absent} ($what)"
        else
            echo "BT-23 is '$got'" >>"$tmp/why"
            not_ok "route pa, $syntax: BT-23 is ${want:-absent} ($what)"
        fi
    done
}
bt23 M1 's|x|x|'
bt23 S1 's|<operation>mixed|<operation>services|'
bt23 B2 's|<operation>mixed</operation>|<cadre>A2</cadre><operation>goods</operation>|'
bt23 "" 's|<operation>mixed</operation>|<cadre>A9</cadre><operation>services</operation>|'
bt23 S5 's|<operation>mixed</operation>|<cadre>A9</cadre><billing-mode>S5</billing-mode><operation>services</operation>|'
bt23 "" 's|<operation>mixed</operation>||'
xsltproc --nonet --nowrite --nomkdir "$xslt/erp-to-ubl.xsl" "$xslt/examples/pa/invoice-b2b.xml" \
    2>"$tmp/why" | grep -q '<cbc:ProfileID>A1</cbc:ProfileID>' &&
    ok "route chorus: BT-23 stays the cadre (A1)" || not_ok "route chorus: BT-23 stays the cadre (A1)"

# Not an ERP export: both stylesheets must stop with a message.
for syntax in ubl cii; do
    echo '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>' >"$tmp/foreign.xml"
    if xsltproc --nonet --nowrite --nomkdir "$xslt/erp-to-$syntax.xsl" "$tmp/foreign.xml" \
            >"$tmp/foreign.out" 2>"$tmp/why"; then
        echo "xsltproc succeeded on a UBL document" >>"$tmp/why"
        not_ok "erp-to-$syntax.xsl refuses a document that is not an ERP export"
    elif grep -q 'root element must be' "$tmp/why"; then
        ok "erp-to-$syntax.xsl refuses a document that is not an ERP export"
    else
        not_ok "erp-to-$syntax.xsl refuses a document that is not an ERP export"
    fi
done

# Several preceding invoices: CII D16B (Chorus Pro) has room for one, D22B for more.
sed 's|</preceding-invoice>|&<preceding-invoice><number>F2025-000150</number><issue-date>2025-03-20</issue-date></preceding-invoice>|' \
    "$xslt/examples/creditnote.xml" >"$tmp/cn-two.xml"
if xsltproc --nonet --nowrite --nomkdir "$xslt/erp-to-cii.xsl" "$tmp/cn-two.xml" \
        >/dev/null 2>"$tmp/why"; then
    not_ok "erp-to-cii.xsl refuses two preceding invoices for Chorus Pro (D16B)"
elif grep -q 'CII D16B (Chorus Pro) carries one preceding invoice' "$tmp/why"; then
    ok "erp-to-cii.xsl refuses two preceding invoices for Chorus Pro (D16B)"
else
    not_ok "erp-to-cii.xsl refuses two preceding invoices for Chorus Pro (D16B)"
fi
for syntax in ubl cii; do
    route=pa
    [ $syntax = ubl ] && route=chorus
    transform "$xslt/erp-to-$syntax.xsl" "$tmp/cn-two.xml" "$tmp/cn-two.pa.$syntax.xml" $route \
        2>"$tmp/why"
    if [ "$(grep -c -e '<ram:InvoiceReferencedDocument>' -e '<cac:BillingReference>' \
            "$tmp/cn-two.pa.$syntax.xml")" = 2 ]; then
        ok "$syntax (route $route) carries both preceding invoices"
    else
        not_ok "$syntax (route $route) carries both preceding invoices"
    fi
    schema_check cn-two "$syntax" "$tmp/cn-two.pa.$syntax.xml"
done

echo "1..$n"
[ "$failed" -eq 0 ]
