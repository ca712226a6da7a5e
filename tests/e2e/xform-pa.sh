#!/bin/sh
# The pre-flight of the Plateforme Agréée route (`--route pa`) through `chorusgw
# transform` and `chorusgw validate`: what the stylesheets make for it (the golden
# .pa. files: BT-23 the billing mode, CII validated as D22B, several preceding
# invoices), and which rules it applies (EN 16931 and BR-FR, not Chorus Pro's own),
# against the same documents on the Chorus Pro route.
. "$top_srcdir/tests/lib.sh"

golden=$top_srcdir/tests/xslt/golden
examples=$top_srcdir/xslt/examples
B2B=$examples/pa/invoice-b2b.xml
for syntax in ubl cii; do
	write_private "$T/$syntax.ini" <<EOF
[transform]
stylesheet_dir = $top_srcdir/xslt
schema_dir = $top_srcdir/schemas
[chorus]
syntax = $syntax
EOF
done

# What the route makes.
for syntax in ubl cii; do
	run_gw "t-$syntax" -c "$T/$syntax.ini" transform --route pa "$B2B"
	is "transform --route pa ($syntax): exit 0" "$rc" 0
	check "transform --route pa ($syntax): the golden file" cmp -s "$T/t-$syntax.out" \
		"$golden/invoice-b2b.pa.$syntax.xml"
	run_gw "tc-$syntax" -c "$T/$syntax.ini" transform --route chorus "$B2B"
	check "transform --route chorus ($syntax): the golden file, as without --route" cmp -s \
		"$T/tc-$syntax.out" "$golden/invoice-b2b.$syntax.xml"
done
run_gw route-bad -c "$T/ubl.ini" validate --route ppf "$B2B"
is "an unknown route is a usage error (2)" "$rc" 2
contains "an unknown route: says which exist" "$T/route-bad.err" "unknown route ppf (chorus or pa)"

run_gw v-cii -c "$T/cii.ini" validate --route pa "$B2B"
is "validate --route pa (cii): can be sent (0)" "$rc" 0
contains "validate --route pa: the verdict names the platform and D22B" "$T/v-cii.out" \
	"can be sent to the Plateforme Agréée (CII D22B CrossIndustryInvoice made from the ERP export by erp-to-cii.xsl: invoice F2026-000318 (type 380)"

# CII D22B has room for several preceding invoices, D16B (Chorus Pro) for one.
sed 's|</preceding-invoice>|&<preceding-invoice><number>F2026-000322</number><issue-date>2026-09-17</issue-date></preceding-invoice>|' \
	"$top_srcdir/tests/xslt/input/creditnote-b2b.xml" >"$T/two.xml"
run_gw two-chorus -c "$T/cii.ini" validate "$T/two.xml"
is "two preceding invoices, CII for Chorus Pro: refused (4)" "$rc" 4
contains "two preceding invoices, CII for Chorus Pro: says why" "$T/two-chorus.out" \
	"CII D16B (Chorus Pro) carries one preceding invoice"
run_gw two-pa -c "$T/cii.ini" validate --route pa "$T/two.xml"
is "two preceding invoices, CII D22B for the PA: can be sent (0)" "$rc" 0
run_gw two-pa-t -c "$T/cii.ini" transform --route pa "$T/two.xml"
is "two preceding invoices in the D22B made" \
	"$(grep -c '<ram:InvoiceReferencedDocument>' "$T/two-pa-t.out")" 2

# A D22B-only element passed through: valid for the PA (D22B XSD), not for Chorus Pro.
run_gw two-pa-x -c "$T/cii.ini" validate --route chorus "$T/two-pa-t.out"
is "the D22B document on the Chorus Pro route: refused (4)" "$rc" 4
contains "the D22B document on the Chorus Pro route: by the D16B schema" "$T/two-pa-x.out" \
	"the document must follow the CII D16B schema"

# Chorus Pro's own rules (here the buyer's SIRET Luhn check) are not the PA's.
sed 's|<siret>81234567600017</siret>|<siret>81234567600018</siret>|' "$B2B" >"$T/luhn.xml"
run_gw luhn-chorus -c "$T/ubl.ini" validate "$T/luhn.xml"
is "a SIRET failing Luhn, Chorus Pro route: refused (4)" "$rc" 4
contains "a SIRET failing Luhn, Chorus Pro route: rule SIRET" "$T/luhn-chorus.out" "(rule SIRET)"
run_gw luhn-pa -c "$T/ubl.ini" validate --route pa "$T/luhn.xml"
is "a SIRET failing Luhn, PA route: can be sent (0)" "$rc" 0
lacks "a SIRET failing Luhn, PA route: no Chorus Pro rule" "$T/luhn-pa.out" "(rule SIRET)"

done_testing
