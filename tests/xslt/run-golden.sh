#!/bin/bash
# Golden-file tests of the shipped stylesheets (TAP).
#
# For every ERP export in xslt/examples/ and tests/xslt/input/:
#   - the export validates against xslt/erp-invoice.xsd;
#   - xslt/erp-to-ubl.xsl and xslt/erp-to-cii.xsl produce exactly
#     tests/xslt/golden/<name>.ubl.xml and <name>.cii.xml;
#   - each output validates against the UBL 2.1 (Invoice or CreditNote) or the
#     CII D16B schema in schemas/.
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
for f in "$xslt"/examples/*.xml "$srcdir"/tests/xslt/input/*.xml; do
    [ -f "$f" ] && inputs+=("$f")
done

n=0
failed=0
echo "1..$(( ${#inputs[@]} * 5 + 2 ))"

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

# transform SHEET INPUT OUTPUT: run xsltproc with the input's parameters.
transform() {
    local sheet=$1 input=$2 output=$3
    local params=() pfile=${input%.xml}.params name value
    if [ -f "$pfile" ]; then
        while IFS='=' read -r name value; do
            case $name in ''|'#'*) continue ;; esac
            params+=(--stringparam "$name" "$value")
        done <"$pfile"
    fi
    xsltproc --nonet --nowrite --nomkdir "${params[@]}" "$sheet" "$input" >"$output"
}

# golden NAME SYNTAX INPUT: transform and compare with (or update) the golden file.
golden_check() {
    local name=$1 syntax=$2 input=$3
    local out=$tmp/$name.$syntax.xml ref=$golden/$name.$syntax.xml
    if ! transform "$xslt/erp-to-$syntax.xsl" "$input" "$out" 2>"$tmp/why"; then
        not_ok "$name: erp-to-$syntax.xsl fails"
        return
    fi
    if [ "$update" = 1 ]; then
        mkdir -p "$golden"
        cp "$out" "$ref"
        ok "$name: $syntax golden file updated"
    elif [ ! -f "$ref" ]; then
        echo "missing $ref (run with UPDATE_GOLDEN=1)" >"$tmp/why"
        not_ok "$name: $syntax output matches golden file"
    elif diff -u "$ref" "$out" >"$tmp/why"; then
        ok "$name: $syntax output matches golden file"
    else
        not_ok "$name: $syntax output matches golden file"
    fi
}

# schema_check NAME SYNTAX: validate the transformed output.
schema_check() {
    local name=$1 syntax=$2 out=$tmp/$1.$2.xml xsd root
    if [ ! -s "$out" ]; then
        echo "no output" >"$tmp/why"
        not_ok "$name: $syntax output validates against its schema"
        return
    fi
    if [ "$syntax" = cii ]; then
        xsd=$cii_xsd
    else
        root=$(xmllint --nonet --xpath 'local-name(/*)' "$out" 2>/dev/null)
        case $root in
            CreditNote) xsd=$ubl_creditnote_xsd ;;
            *) xsd=$ubl_invoice_xsd ;;
        esac
    fi
    check "$name: $syntax output validates against $(basename "$xsd")" \
        xmllint --nonet --noout --schema "$xsd" "$out"
}

for input in "${inputs[@]}"; do
    name=$(basename "$input" .xml)
    check "$name: export validates against erp-invoice.xsd" \
        xmllint --nonet --noout --schema "$erp_xsd" "$input"
    for syntax in ubl cii; do
        golden_check "$name" "$syntax" "$input"
        schema_check "$name" "$syntax"
    done
done

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

[ "$failed" -eq 0 ]
