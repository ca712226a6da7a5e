#!/bin/sh
# The company's RIB: [supplier] iban / bic / iban_name are the account to pay when
# neither the ERP export nor the establishment's [supplier.SIRET] gives one; the
# receipt's iban_source says which was used. Without it, such an invoice paid by
# transfer is refused (BR-61).
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.1 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[supplier]
iban = FR14 2004 1010 0505 0001 3M02 606
bic = PSSTFRPPXXX
iban_name = Compte principal
[supplier.55210055400013]
iban = FR7610278073100002051364561
bic = CMCIFR2A
EOC
no_account() { # FILE NUMBER SOURCE: SOURCE without the supplier's iban and bic
	sed -e "s|<number>[^<]*</number>|<number>$2</number>|" -e '/<iban>/d' -e '/<bic>/d' \
		-e '/<account-name>/d' "$3" >"$1"
}
no_account "$T/dflt.xml" IBAN-DFLT-1 "$top_srcdir/xslt/examples/invoice-simple.xml"
erp_invoice "$T/own.xml" IBAN-OWN-1
no_account "$T/estab.xml" IBAN-EST-1 "$top_srcdir/xslt/examples/invoice-engagement.xml"
for f in dflt own estab; do drop "$T/$f.xml" "$S/inbox"; done
"$CHORUSGW" -c "$T/c.ini" once >"$T/o1.out" 2>"$T/o1.log"
is "once: all three accepted" "$?" 0
r=$S/accepted
is "no IBAN in the export nor [supplier.SIRET]: the company's default" \
	"$(rkey "$r/dflt.xml.receipt" iban_source)" "[supplier]"
contains "... and it is the account to pay in the deposited XML" "$r/dflt.ubl.xml" \
	"<cbc:ID>FR1420041010050500013M02606</cbc:ID>"
contains "... with its BIC" "$r/dflt.ubl.xml" "PSSTFRPPXXX"
is "the export's own IBAN first" "$(rkey "$r/own.xml.receipt" iban_source)" export
contains "... in the XML" "$r/own.ubl.xml" "FR7630004008230001046783288"
is "the establishment's before the company's" "$(rkey "$r/estab.xml.receipt" iban_source)" \
	"[supplier.55210055400013]"
contains "... in the XML" "$r/estab.ubl.xml" "FR7610278073100002051364561"
lacks "... never mixed with the default's BIC" "$r/estab.ubl.xml" "PSSTFRPPXXX"

# without the default, the same invoice has no account to pay: refused before deposit
gw_conf "$T/c2.ini" "$S"
no_account "$T/none.xml" IBAN-NONE-1 "$top_srcdir/xslt/examples/invoice-simple.xml"
drop "$T/none.xml" "$S/inbox"
"$CHORUSGW" -c "$T/c2.ini" once >"$T/o2.out" 2>"$T/o2.log"
is "no account anywhere: rejected" "$(rkey "$S/rejected/none.xml.receipt" state)" rejected
contains "... by BR-61, naming [supplier]" "$S/rejected/none.xml.receipt" "[supplier] iban"
is "... and no iban_source" "$(rkey "$S/rejected/none.xml.receipt" iban_source)" ""
"$CHORUSGW" -c "$T/c.ini" check-config >"$T/cc.out" 2>&1
contains "check-config shows the [supplier] section" "$T/cc.out" "[supplier]"
done_testing
