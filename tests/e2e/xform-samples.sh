#!/bin/sh
# Every public EN 16931 sample (tests/samples/{ubl,cii}) passes through `chorusgw
# transform` unchanged and validates against its XSD. None is a Chorus Pro invoice:
# `chorusgw validate` refuses most of them, and then only for Chorus Pro's own rules
# (SIRETs, cadre de facturation, IBAN/BIC, attachment content), never for an
# EN 16931 rule, a schema error or the arithmetic: the table below is what each one
# gets, and the test fails when that changes.
. "$top_srcdir/tests/lib.sh"

# the rules that are Chorus Pro's, not EN 16931's (check.h: problem.chorus)
chorus_rules=" SIRET SUPPLIER-ID SIREN IBAN BIC CADRE ATTACHMENT TYPE NUMBER DATE SERVICE SIGN AMOUNT PAYMENT CURRENCY QUANTITY NAME VAT-CATEGORY "

write_private "$T/c.ini" <<CONF
[transform]
stylesheet_dir = $top_srcdir/xslt
schema_dir = $top_srcdir/schemas
CONF

# sample | exit | error rules | warning rules
while IFS='|' read -r sample want_rc want_err want_warn; do
	[ -n "$sample" ] || continue
	f=$top_srcdir/tests/samples/$sample
	n=$(basename "$sample" .xml)
	run_gw "t-$n" -c "$T/c.ini" transform "$f"
	if [ "$rc" = 0 ] && cmp -s "$T/t-$n.out" "$f"; then ok "$sample: passes through unchanged"
	else not_ok "$sample: passes through unchanged (exit $rc)"; sed 's/^/#   /' "$T/t-$n.err"; fi
	run_gw "v-$n" -c "$T/c.ini" validate "$f"
	is "$sample: validate exits $want_rc" "$rc" "$want_rc"
	lacks "$sample: valid against its XSD" "$T/v-$n.out" "(rule XSD)"
	err=$(sed -n 's/^error: .*(rule \([^)]*\)).*/\1/p' "$T/v-$n.out" | sort -u | tr '\n' ' ' | sed 's/ $//')
	warn=$(sed -n 's/^warning: .*(rule \([^)]*\)).*/\1/p' "$T/v-$n.out" | sort -u | tr '\n' ' ' | sed 's/ $//')
	is "$sample: errors" "$err" "$want_err"
	is "$sample: warnings" "$warn" "$want_warn"
	for r in $err; do
		case $chorus_rules in
		*" $r "*) ;;
		*) not_ok "$sample: error from $r, which is not a Chorus Pro rule" ;;
		esac
	done
done <<'TABLE'
cii/akretion_factur-x-basic.xml|4|CADRE SIREN SIRET|
cii/akretion_factur-x-en16931.xml|4|BIC CADRE SIREN SIRET|
cii/akretion_factur-x-extended.xml|4|BIC CADRE SIREN SIRET|CII-DT-052 CII-DT-098 CII-SR-039 CII-SR-040 CII-SR-041 CII-SR-474
cii/cen_CII_business_example_01.xml|4|SIREN SIRET|CADRE CURRENCY LINE-NET
cii/cen_CII_business_example_02.xml|4|IBAN SIREN SIRET SUPPLIER-ID|CADRE DATE
cii/cen_CII_business_example_Z.xml|4|SIRET SUPPLIER-ID|CADRE LINE-NET
cii/cen_CII_example1.xml|4|SIRET SUPPLIER-ID|CADRE LINE-NET
cii/cen_CII_example2.xml|4|SIREN SIRET|CADRE CURRENCY LINE-NET
cii/cen_CII_example3.xml|4|IBAN SIRET|CADRE CURRENCY
cii/cen_CII_example4.xml|4|IBAN SIRET|CADRE CURRENCY
cii/cen_CII_example5.xml|4|IBAN SIRET|CADRE PAYMENT
cii/cen_CII_example6.xml|4|SIRET|CADRE CURRENCY PAYMENT
cii/cen_CII_example7.xml|4|IBAN SIRET|CADRE CURRENCY
cii/cen_CII_example8.xml|4|SIRET SUPPLIER-ID|CADRE LINE-NET
cii/cen_CII_example9.xml|4|SIRET SUPPLIER-ID|CADRE LINE-NET
cii/synthetic_chorus-A1_factur-x-en16931.xml|4|BIC SIREN SIRET|
cii/zugferd_EN16931_Einfach.cii.xml|4|SIRET|CADRE PAYMENT
cii/zugferd_EN16931_Gutschrift.cii.xml|4|SIRET|CADRE PAYMENT
cii/zugferd_EN16931_Rechnungskorrektur.cii.xml|4|SIRET|CADRE PAYMENT SIGN
cii/zugferd_mustang_ZF2PushCreditNote.cii.xml|4|SIRET|CADRE PRECEDING
ubl/akretion_ubl-21-en16931.xml|4|CADRE|
ubl/akretion_ubl-21-extended-ctc-fr.xml|4|CADRE|UBL-CR-026 UBL-CR-194 UBL-CR-195 UBL-CR-258 UBL-CR-259 UBL-CR-439 UBL-CR-528 UBL-CR-529 UBL-CR-531 UBL-CR-550
ubl/cen_BIS_Billing_30-Kreditering_med_kreditnota.xml|4|CADRE IBAN SIRET SUPPLIER-ID|CURRENCY SIGN
ubl/cen_CreditNote-Max_content.xml|4|ATTACHMENT BIC CADRE IBAN SIRET SUPPLIER-ID|
ubl/cen_CreditNote-Min_content_with_VAT.xml|4|CADRE SIRET|BR-CO-25 CURRENCY PRECEDING
ubl/cen_CreditNote-Min_content_without_VAT.xml|4|CADRE SIRET|BR-CO-25 CURRENCY PRECEDING
ubl/cen_Invoice-Max_content.xml|4|ATTACHMENT BIC CADRE IBAN SIRET SUPPLIER-ID|
ubl/cen_Invoice-Min_content_with_VAT.xml|4|CADRE SIRET|CURRENCY PAYMENT
ubl/cen_ubl-tc434-creditnote1.xml|4|CADRE SIRET|BR-CO-25 NUMBER PRECEDING
ubl/cen_ubl-tc434-example1.xml|4|SIRET|CADRE LINE-NET
ubl/cen_ubl-tc434-example10.xml|4|SIRET|CADRE LINE-NET
ubl/cen_ubl-tc434-example2.xml|4|CADRE SIREN SIRET|CURRENCY LINE-NET
ubl/cen_ubl-tc434-example3.xml|4|IBAN SIREN SIRET SUPPLIER-ID|CADRE CURRENCY LINE-NET
ubl/cen_ubl-tc434-example4.xml|4|IBAN SIRET SUPPLIER-ID|CADRE CURRENCY
ubl/cen_ubl-tc434-example5.xml|4|ATTACHMENT CADRE SIRET SUPPLIER-ID|
ubl/cen_ubl-tc434-example6.xml|4|SIRET|CADRE CURRENCY PAYMENT
ubl/cen_ubl-tc434-example7.xml|4|IBAN SIRET SUPPLIER-ID|CADRE CURRENCY
ubl/cen_ubl-tc434-example8.xml|4|ATTACHMENT SIRET|CADRE
ubl/cen_ubl-tc434-example9.xml|4|SIRET|CADRE
ubl/synthetic_chorus-A1_ubl-21-en16931.xml|0||
ubl/zugferd_EN16931_Einfach.ubl.xml|4|CADRE SIRET SUPPLIER-ID|PAYMENT
ubl/zugferd_EN16931_Gutschrift.ubl.xml|4|CADRE SIRET SUPPLIER-ID|PAYMENT
ubl/zugferd_EN16931_Rechnungskorrektur.ubl.xml|4|CADRE SIRET SUPPLIER-ID|PAYMENT SIGN
TABLE

# the one that can be sent, and what the verdict says of it
contains "synthetic A1 UBL: can be sent" "$T/v-synthetic_chorus-A1_ubl-21-en16931.out" \
	"can be sent to Chorus Pro (UBL 2.1 Invoice, passed through: invoice F124212 (type 380), supplier SIRET 99999999800019, buyer SIRET 78787878400018, service 120943, engagement PO1242)"
# why a CEN sample cannot: precisely
contains "CEN sample: the supplier's SIRET is missing, and where it goes" "$T/v-cen_ubl-tc434-example1.out" \
	"error: cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID: the supplier's SIRET is missing: Chorus Pro identifies the supplier by SIRET, or without one by an identifier of type 2 or 3 (chorusgw-erp(5)) (rule SIRET)"
contains "akretion sample: the 2026 reform's cadre S1 is not Chorus Pro's" "$T/v-akretion_ubl-21-en16931.out" \
	'cbc:ProfileID "S1": not a cadre de facturation (rule CADRE)'
done_testing
