#!/bin/sh
# Suppliers without a SIRET (chorusgw-erp(5), SUPPLIERS WITHOUT A SIRET): a German
# supplier (Chorus Pro identifier type 2, its VAT number) in UBL and a Swiss one
# (type 3, its UID) in CII are deposited through the emulator, which finds them by
# their identifier, and reach accepted/ with the identifier and its type in the
# receipt; a French supplier without its SIRET, a RIDET (type 4), and a type declared
# against the supplier's country (3 in Germany, 2 in Switzerland) are refused before any
# deposit, each with its sentence.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.1 --lifecycle-step 600
S=$T/spool
gw_conf "$T/ubl.ini" "$S"
gw_conf "$T/cii.ini" "$S" <<EOC
[chorus]
syntax = cii
EOC
ex=$top_srcdir/xslt/examples
cp "$ex/invoice-supplier-eu.xml" "$T/eu.xml"
cp "$ex/invoice-supplier-non-eu.xml" "$T/noneu.xml"
# a supplier established in France must give its SIRET; types 4 to 7 are not sent
sed -e 's|<number>[^<]*</number>|<number>NS-FR-1</number>|' -e 's|<country>DE</country>|<country>FR</country>|' \
	"$ex/invoice-supplier-eu.xml" >"$T/fr.xml"
sed -e 's|<number>[^<]*</number>|<number>NS-RIDET-1</number>|' -e 's|type="2"|type="4"|' \
	"$ex/invoice-supplier-eu.xml" >"$T/ridet.xml"
# a declared type against the supplier's country: 3 in Germany, 2 in Switzerland
sed -e 's|<number>[^<]*</number>|<number>NS-T3EU-1</number>|' -e 's|type="2"|type="3"|' \
	"$ex/invoice-supplier-eu.xml" >"$T/t3eu.xml"
sed -e 's|<number>[^<]*</number>|<number>NS-T2CH-1</number>|' -e 's|type="3"|type="2"|' \
	"$ex/invoice-supplier-non-eu.xml" >"$T/t2ch.xml"

drop "$T/eu.xml" "$S/inbox"
drop "$T/t3eu.xml" "$S/inbox"
drop "$T/fr.xml" "$S/inbox"
drop "$T/ridet.xml" "$S/inbox"
"$CHORUSGW" -c "$T/ubl.ini" once >"$T/o1.out" 2>"$T/o1.log"
drop "$T/noneu.xml" "$S/inbox"
drop "$T/t2ch.xml" "$S/inbox"
"$CHORUSGW" -c "$T/cii.ini" once >"$T/o2.out" 2>"$T/o2.log"

a=$S/accepted
is "type 2 (UBL): accepted" "$(rkey "$a/eu.xml.receipt" state 2>/dev/null)" accepted ||
	diag "$(cat "$T/o1.log")"
is "... its receipt names the identifier" "$(rkey "$a/eu.xml.receipt" supplier_id)" DE129273398
is "... and its type" "$(rkey "$a/eu.xml.receipt" supplier_id_type)" UE_HORS_FRANCE
is "... and no SIRET" "$(rkey "$a/eu.xml.receipt" supplier_siret)" ""
contains "... the deposited UBL carries it where Chorus Pro reads it" "$a/eu.ubl.xml" \
	"<cbc:ID>DE129273398</cbc:ID>"
is "type 3 (CII): accepted" "$(rkey "$a/noneu.xml.receipt" state 2>/dev/null)" accepted ||
	diag "$(cat "$T/o2.log")"
is "... its receipt names the identifier" "$(rkey "$a/noneu.xml.receipt" supplier_id)" CHE109322551
is "... and its type" "$(rkey "$a/noneu.xml.receipt" supplier_id_type)" HORS_UE
contains "... the deposited CII carries it with its scheme" "$a/noneu.cii.xml" \
	'<ram:ID schemeID="0183">CHE109322551</ram:ID>'
# what the emulator (Chorus Pro) integrated, under the right identifier
emu GET /_emulator/deposits >"$T/deposits.json"
for id in DE129273398 CHE109322551; do
	contains "the emulator integrated the invoice of $id" "$T/deposits.json" \
		"\"supplier_siret\":\"$id\",\"buyer_siret\":\"26330059200015\",\"numeroFacture\""
done

r=$S/rejected
is "a French supplier without its SIRET: rejected" "$(rkey "$r/fr.xml.receipt" state 2>/dev/null)" rejected
contains "... with the sentence" "$r/fr.xml.receipt" \
	"the supplier's SIRET is missing: Chorus Pro identifies the supplier by SIRET, or without one by an identifier of type 2 or 3"
contains "... under rule SIRET" "$r/fr.xml.receipt" "(rule SIRET)"
is "type 4 (RIDET): rejected" "$(rkey "$r/ridet.xml.receipt" state 2>/dev/null)" rejected
contains "... naming the type" "$r/ridet.xml.receipt" \
	"the supplier's identifier type 4 (RIDET, New Caledonia) is not supported"
is "type 3 in Germany (UBL): rejected" "$(rkey "$r/t3eu.xml.receipt" state 2>/dev/null)" rejected
contains "... naming the ERP elements and the fix" "$r/t3eu.xml.receipt" \
	"erp-to-ubl: supplier/identifier/@type is 3 (HORS_UE, a supplier established outside the EU) but supplier/address/country is DE, a member state of the EU: write type=\"2\" (UE_HORS_FRANCE)"
is "type 2 in Switzerland (CII): rejected" "$(rkey "$r/t2ch.xml.receipt" state 2>/dev/null)" rejected
contains "... naming the ERP elements and the fix" "$r/t2ch.xml.receipt" \
	"erp-to-cii: supplier/identifier/@type is 2 (UE_HORS_FRANCE, a supplier established in another member state of the EU) but supplier/address/country is CH, outside the EU: write type=\"3\" (HORS_UE)"
is "nothing refused was deposited" \
	"$(deposits_of NS-FR-1)$(deposits_of NS-RIDET-1)$(deposits_of NS-T3EU-1)$(deposits_of NS-T2CH-1)" 0000
done_testing
