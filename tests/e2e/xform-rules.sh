#!/bin/sh
# The pre-flight rules through `chorusgw validate`, on crafted files: each rule
# breaks one thing in a document that passes (a golden UBL or CII file, or an ERP
# export), and validate must exit 4 naming the rule, the element path and the value,
# while the untouched document exits 0. The rules themselves are unit-tested one by
# one in tests/unit/test_check.c.
. "$top_srcdir/tests/lib.sh"

write_private "$T/c.ini" <<EOF
[transform]
stylesheet_dir = $top_srcdir/xslt
schema_dir = $top_srcdir/schemas
EOF
golden=$top_srcdir/tests/xslt/golden
examples=$top_srcdir/xslt/examples

for f in "$golden/invoice-simple.ubl.xml" "$golden/invoice-simple.cii.xml" \
	"$golden/invoice-multirate-allowances.ubl.xml" "$golden/creditnote.cii.xml" \
	"$examples/invoice-simple.xml" "$examples/invoice-exempt.xml"; do
	run_gw pass -c "$T/c.ini" validate "$f"
	is "$(basename "$f"): passes as it is" "$rc" 0
done

# case NAME SOURCE SED-SCRIPT RULE TEXT : the altered SOURCE is refused for RULE
# with TEXT in the message
n=0
case_() {
	n=$((n + 1))
	sed "$3" "$2" >"$T/case$n.xml"
	if cmp -s "$2" "$T/case$n.xml"; then
		not_ok "$1: the sed script changed nothing"
		return
	fi
	run_gw "case$n" -c "$T/c.ini" validate "$T/case$n.xml"
	is "$1: cannot be sent (4)" "$rc" 4
	contains "$1: rule $4" "$T/case$n.out" "(rule $4)"
	contains "$1: says what" "$T/case$n.out" "$5"
}
# the same with a warning: still sent (0)
warn_() {
	n=$((n + 1))
	sed "$3" "$2" >"$T/case$n.xml"
	run_gw "case$n" -c "$T/c.ini" validate "$T/case$n.xml"
	is "$1: can still be sent (0)" "$rc" 0
	contains "$1: warning $4" "$T/case$n.out" "warning: "
	contains "$1: says what" "$T/case$n.out" "$5"
}
U=$golden/invoice-simple.ubl.xml
C=$golden/invoice-simple.cii.xml
M=$golden/invoice-multirate-allowances.ubl.xml

case_ "buyer SIRET Luhn" "$U" 's/>26330059200015</>26330059200016</' SIRET \
	'cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID "26330059200016": the buyer'"'"'s SIRET fails the Luhn check (rule SIRET); check the SIRET of the public structure in the Chorus Pro directory'
case_ "supplier SIRET Luhn (CII)" "$C" 's/>73282932000074</>73282932000075</' SIRET \
	'ram:SellerTradeParty/ram:GlobalID "73282932000075": the supplier'"'"'s SIRET fails the Luhn check'
case_ "supplier SIRET missing" "$U" 's/schemeID="0009">73282932000074/schemeID="0088">3015000100001/' SIRET \
	"the supplier's SIRET is missing"
case_ "SIREN Luhn" "$U" 's/>732829320</>732829321</' SIREN "SIREN fails the Luhn check"
case_ "IBAN mod 97" "$U" 's/FR7630004008230001046783288/FR7630004008230001046783287/' IBAN \
	'"FR7630004008230001046783287": the IBAN'"'"'s check digits fail (mod 97)'
case_ "IBAN missing for a transfer" "$U" '/<cac:PayeeFinancialAccount>/,/<\/cac:PayeeFinancialAccount>/d' BR-61 \
	"payment by credit transfer (30) without the account to pay"
case_ "country code" "$U" '0,/<cbc:IdentificationCode>FR/s//<cbc:IdentificationCode>FX/' BR-CL-14 \
	"EN 16931 requires . in ISO3166 here (rule BR-CL-14); correct the UBL or CII document"
case_ "currency code" "$U" 's/<cbc:DocumentCurrencyCode>EUR/<cbc:DocumentCurrencyCode>EUU/' BR-CL-04 \
	"not an ISO 4217 code"
case_ "number longer than 20" "$U" 's/<cbc:ID>F2025-000142</<cbc:ID>F2025-000142-ABCDEFGH</' NUMBER \
	"the invoice number has 21 characters; Chorus Pro accepts at most 20"
case_ "type code" "$U" 's/<cbc:InvoiceTypeCode>380/<cbc:InvoiceTypeCode>751/' TYPE \
	'cbc:InvoiceTypeCode "751": Chorus Pro does not accept this invoice type code'
case_ "cadre" "$U" 's/<cbc:ProfileID>A1/<cbc:ProfileID>B1/' CADRE '"B1": not a cadre de facturation'
case_ "co-contractor's cadre without its validator (CII)" "$C" 's|<ram:ID>A1</ram:ID>|<ram:ID>A12</ram:ID>|' CADRE-PARTY \
	'"A12": cadre A12 (a co-contractor'"'"'s invoice) needs its validator (valideur: the lead contractor), which chorusgw cannot yet place in a deposited UBL or CII flow (rule CADRE-PARTY); enter this invoice on the Chorus Pro portal'
case_ "works cadre without the works parties" "$U" 's/<cbc:ProfileID>A1/<cbc:ProfileID>A4/' CADRE-PARTY \
	"is a works invoice: it needs the parties of the works circuit (maître d'oeuvre, maître d'ouvrage)"
case_ "issue date in the future" "$U" 's/<cbc:IssueDate>2025-/<cbc:IssueDate>2099-/' DATE \
	"the issue date is after today"
case_ "issue date invalid (CII)" "$C" '0,/format="102">2025/s//format="102">2025X/' DATE "not a valid date"
case_ "line total (BR-CO-10)" "$U" 's/<cbc:LineExtensionAmount currencyID="EUR">2280.00/<cbc:LineExtensionAmount currencyID="EUR">2280.01/' BR-CO-10 \
	"the sum of line net amounts should be 2280.00"
case_ "total without VAT (BR-CO-13)" "$U" 's/<cbc:TaxExclusiveAmount currencyID="EUR">2280.00/<cbc:TaxExclusiveAmount currencyID="EUR">2270.00/' BR-CO-13 \
	"the total without VAT should be 2280.00"
case_ "VAT total (BR-CO-14)" "$U" '0,/<cbc:TaxAmount currencyID="EUR">456.00/s//<cbc:TaxAmount currencyID="EUR">455.00/' BR-CO-14 \
	"the VAT total should be 456.00"
case_ "total with VAT (BR-CO-15)" "$U" 's/<cbc:TaxInclusiveAmount currencyID="EUR">2736.00/<cbc:TaxInclusiveAmount currencyID="EUR">2736.10/' BR-CO-15 \
	"the total with VAT should be 2736.00"
case_ "amount due (BR-CO-16, CII)" "$C" 's/<ram:DuePayableAmount>2736.00/<ram:DuePayableAmount>2700.00/' BR-CO-16 \
	"the amount due for payment should be 2736.00"
case_ "allowance total (BR-CO-11)" "$M" 's/<cbc:AllowanceTotalAmount currencyID="EUR">63.27/<cbc:AllowanceTotalAmount currencyID="EUR">63.72/' BR-CO-11 \
	"the sum of allowances should be 63.27"
case_ "VAT breakdown taxable (BR-S-08)" "$M" 's/<cbc:TaxableAmount currencyID="EUR">2045.73/<cbc:TaxableAmount currencyID="EUR">2145.73/' BR-S-08 \
	"the taxable amount of VAT category S at 10 % should be 2045.73"
case_ "VAT amount (BR-S-09)" "$M" 's/<cbc:TaxAmount currencyID="EUR">204.57/<cbc:TaxAmount currencyID="EUR">214.57/' BR-S-09 \
	"the VAT amount of VAT category S at 10 % should be 204.57"
warn_ "VAT amount a cent off (VAT-ROUNDING, not the CEN's BR-S-09)" "$M" 's/<cbc:TaxAmount currencyID="EUR">204.57/<cbc:TaxAmount currencyID="EUR">204.58/; s/<cbc:TaxAmount currencyID="EUR">511.15/<cbc:TaxAmount currencyID="EUR">511.16/; s/4811.88/4811.89/; s/3311.88/3311.89/' VAT-ROUNDING \
	"(rule VAT-ROUNDING); round taxable amount x rate to the cent"
case_ "rate of a standard line (BR-S-05)" "$U" '/<cac:ClassifiedTaxCategory>/,/<\/cac:ClassifiedTaxCategory>/s/<cbc:Percent>20</<cbc:Percent>0</' BR-S-05 \
	"category S (standard rate) needs a rate above 0"
case_ "decimals of the amount due (BR-DEC-18)" "$U" 's/<cbc:PayableAmount currencyID="EUR">2736.00/<cbc:PayableAmount currencyID="EUR">2736.001/' BR-DEC-18 \
	"has 3 decimals; amounts have at most 2"
case_ "credit note sign" "$golden/creditnote.cii.xml" 's/<ram:DuePayableAmount>/<ram:DuePayableAmount>-/' SIGN \
	"a negative total on a credit note"
case_ "schema (XSD)" "$U" 's/<cbc:IssueDate>/<cbc:Bogus\/><cbc:IssueDate>/' XSD \
	"Element 'cbc:Bogus': This element is not expected"
warn_ "line net amount of a passed-through document" "$M" 's/<cbc:LineExtensionAmount currencyID="EUR">36.00/<cbc:LineExtensionAmount currencyID="EUR">37.00/; s/<cbc:LineExtensionAmount currencyID="EUR">4304.00/<cbc:LineExtensionAmount currencyID="EUR">4305.00/; s/<cbc:TaxExclusiveAmount currencyID="EUR">4300.73/<cbc:TaxExclusiveAmount currencyID="EUR">4301.73/; s/<cbc:TaxableAmount currencyID="EUR">1259.00/<cbc:TaxableAmount currencyID="EUR">1260.00/; s/<cbc:TaxAmount currencyID="EUR">251.80/<cbc:TaxAmount currencyID="EUR">252.00/; s/511.15/511.35/; s/4811.88/4813.08/; s/3311.88/3313.08/' LINE-NET \
	"the line net amount should be 36.00 (quantity 300 x price 12.00 / 100"

# through an ERP export: the messages point at the generated document, line numbers
# included, and the export's own schema comes first
E=$examples/invoice-simple.xml
case_ "export: buyer SIRET Luhn" "$E" 's/<siret>26330059200015/<siret>26330059200016/' SIRET \
	'cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID "26330059200016"'
case_ "export: line net amount" "$E" '0,/<net-amount>/s/<net-amount>[0-9.]*/<net-amount>1.00/' LINE-NET \
	"the line net amount should be"
case_ "export: not following erp-invoice.xsd" "$E" 's/<number>/<numero>/; s/<\/number>/<\/numero>/' ERP-XSD \
	"Element 'numero': This element is not expected"
case_ "export: elements out of order" "$E" 's/<\/number>/<\/number>/; s/<issue-date>/<type>invoice<\/type><issue-date>/' ERP-XSD \
	"This element is not expected"
done_testing
