#!/bin/bash
# EN 16931 business rules on the golden files (TAP), optional.
#
# Runs the CEN validation artefacts (compiled XSLT 2.0) with Saxon-HE over
# tests/xslt/golden/*.ubl.xml and *.cii.xml: a file passes when the SVRL
# report has no failed assertion flagged fatal; warnings are shown as TAP
# diagnostics. The artefacts are not part of this tree: point CEN_EN16931_DIR
# at a checkout of https://github.com/ConnectingEurope/eInvoicing-EN16931
# (tag validation-1.3.16 was used for the golden files), and install Saxon-HE
# (Debian: libsaxonhe-java). Without them the test is skipped.
#
# Environment:
#   srcdir           repository root (default: two levels above this script)
#   CEN_EN16931_DIR  checkout of eInvoicing-EN16931 (required, else skip)
#   SAXON_JAR        default /usr/share/java/Saxon-HE.jar

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=${srcdir:-$(cd "$here/../.." && pwd)}
golden=$srcdir/tests/xslt/golden
cen=${CEN_EN16931_DIR:-}
saxon=${SAXON_JAR:-/usr/share/java/Saxon-HE.jar}

if [ -z "$cen" ] || [ ! -f "$cen/ubl/xslt/EN16931-UBL-validation.xslt" ]; then
    echo "1..0 # SKIP CEN_EN16931_DIR does not point at eInvoicing-EN16931"
    exit 0
fi
if ! command -v java >/dev/null 2>&1 || [ ! -f "$saxon" ]; then
    echo "1..0 # SKIP java or Saxon-HE ($saxon) not found"
    exit 0
fi
if ! command -v xmllint >/dev/null 2>&1; then
    echo "1..0 # SKIP xmllint not found"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One Saxon run per syntax over a directory: compiling the rules costs
# seconds, validating a file milliseconds.
for syntax in ubl cii; do
    mkdir -p "$tmp/in-$syntax" "$tmp/out-$syntax"
    cp "$golden"/*."$syntax".xml "$tmp/in-$syntax/"
done
total=$(ls "$tmp"/in-ubl "$tmp"/in-cii | grep -c '\.xml$')
echo "1..$total"
version=$(head -c 600 "$cen/ubl/xslt/EN16931-UBL-validation.xslt" | grep -o 'Schematron version [0-9.]*')
echo "# CEN artefacts: ${version:-unknown version}"

n=0
failed=0
for syntax in ubl cii; do
    rules=$cen/$syntax/xslt/EN16931-$(echo "$syntax" | tr a-z A-Z)-validation.xslt
    if ! java -cp "$saxon" net.sf.saxon.Transform -s:"$tmp/in-$syntax" \
            -o:"$tmp/out-$syntax" -xsl:"$rules" >"$tmp/saxon.log" 2>&1; then
        sed -e 's/^/# /' "$tmp/saxon.log" | head -n 20
    fi
    for f in "$tmp/in-$syntax"/*.xml; do
        name=$(basename "$f")
        report=$tmp/out-$syntax/$name
        n=$((n + 1))
        if [ ! -s "$report" ]; then
            failed=$((failed + 1))
            echo "not ok $n - $name: no SVRL report"
            continue
        fi
        fatal=$(xmllint --nonet --xpath 'count(//*[local-name()="failed-assert"][@flag="fatal"])' "$report")
        asserts=$(xmllint --nonet --xpath '//*[local-name()="failed-assert"]/@id' "$report" 2>/dev/null |
            sed -e 's/ *id="\([^"]*\)"/\1/g' | tr '\n' ' ' | sed -e 's/ *$//')
        if [ "$fatal" = 0 ]; then
            echo "ok $n - $name passes EN 16931${asserts:+ (warnings: $asserts)}"
        else
            failed=$((failed + 1))
            echo "not ok $n - $name: $fatal fatal rule(s): $asserts"
        fi
    done
done

[ "$failed" -eq 0 ]
