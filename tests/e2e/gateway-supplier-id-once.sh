#!/bin/sh
# Exactly once (DESIGN §2) for a supplier without a SIRET: Chorus Pro's search by
# invoice number answers with the invoices of every structure the technical account
# reaches, so settling an unknown outcome must only adopt an invoice of the supplier the
# document is deposited under. The German supplier (type 2, DE129273398) shares the
# account with a French establishment (73282932000074) and a Swiss supplier (type 3,
# CHE109322551) that already have invoices with the same numbers: its deposit whose
# answer is lost adopts its own deposit, not the other's, and its deposit killed before
# the call goes out is made on the next run (adopting the other's would lose it).
. "$top_srcdir/tests/lib.sh"
needs_test_hooks

start_emulator --integration-delay 0.1 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[chorus]
timeout = 1s
EOC
DEPOSIT=/cpro/factures/v1/deposer/flux
ex=$top_srcdir/xslt/examples

# eu NAME NUMBER : the German supplier's invoice NUMBER in $T/NAME.xml
eu() { sed "s|<number>[^<]*</number>|<number>$2</number>|" "$ex/invoice-supplier-eu.xml" >"$T/$1.xml"; }
# run : one `once` over the spool
run() { "$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"; }
# flux_of SUPPLIER NUMBER : the deposit numbers the emulator recorded for them
flux_of() {
	emu GET /_emulator/deposits | "$EMU_PYTHON" -c '
import json, sys
print(" ".join(d["numeroFluxDepot"] for d in json.load(sys.stdin)
               if d.get("supplier_siret") == sys.argv[1] and d.get("numeroFacture") == sys.argv[2]
               and d.get("numeroFluxDepot")))' "$1" "$2"
}

# the other structures' invoices, deposited first
erp_invoice "$T/fr.xml" ONCE-NS-1
sed "s|<number>[^<]*</number>|<number>ONCE-NS-2</number>|" "$ex/invoice-supplier-non-eu.xml" >"$T/ch.xml"
drop "$T/fr.xml" "$S/inbox"
drop "$T/ch.xml" "$S/inbox"
run
is "the French establishment's invoice: accepted" "$(rkey "$S/accepted/fr.xml.receipt" state 2>/dev/null)" accepted ||
	diag "$(cat "$T/log")"
is "the Swiss supplier's invoice: accepted" "$(rkey "$S/accepted/ch.xml.receipt" state 2>/dev/null)" accepted
fr_flux=$(flux_of 73282932000074 ONCE-NS-1)
ch_flux=$(flux_of CHE109322551 ONCE-NS-2)

# the German supplier's deposit of the same number: Chorus Pro takes it, the answer is lost
emu POST /_emulator/faults "{\"lose_response\": {\"count\": 1, \"route\": \"$DEPOSIT\"}}" >/dev/null
eu lost ONCE-NS-1
drop "$T/lost.xml" "$S/inbox"
run
is "answer lost: accepted" "$(rkey "$S/accepted/lost.xml.receipt" state 2>/dev/null)" accepted ||
	diag "$(cat "$T/log")"
is "answer lost: the German supplier deposited it once" "$(flux_of DE129273398 ONCE-NS-1 | wc -w)" 1
is "answer lost: its receipt holds its own deposit" \
	"$(rkey "$S/accepted/lost.xml.receipt" numero_flux_depot)" "$(flux_of DE129273398 ONCE-NS-1)"
check "... not the French establishment's" [ "$(rkey "$S/accepted/lost.xml.receipt" numero_flux_depot)" != "$fr_flux" ]
contains "... found by its number" "$S/accepted/lost.xml.receipt" "found in Chorus Pro by invoice number"
is "the French establishment's invoice: still one deposit" "$(flux_of 73282932000074 ONCE-NS-1 | wc -w)" 1

# killed after the intent was recorded, before the call went out: nothing of the German
# supplier in Chorus Pro, only the Swiss supplier's invoice with that number
eu killed ONCE-NS-2
drop "$T/killed.xml" "$S/inbox"
CHORUSGW_CRASH_AT=gw-deposit-intent "$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "killed before the call: died" "$?" 137
is "killed before the call: nothing deposited" "$(flux_of DE129273398 ONCE-NS-2 | wc -w)" 0
run
is "killed before the call: accepted on the next run" \
	"$(rkey "$S/accepted/killed.xml.receipt" state 2>/dev/null)" accepted || diag "$(cat "$T/log")"
is "... deposited once" "$(flux_of DE129273398 ONCE-NS-2 | wc -w)" 1
is "... its receipt holds its own deposit" \
	"$(rkey "$S/accepted/killed.xml.receipt" numero_flux_depot)" "$(flux_of DE129273398 ONCE-NS-2)"
check "... not the Swiss supplier's" [ "$(rkey "$S/accepted/killed.xml.receipt" numero_flux_depot)" != "$ch_flux" ]
lacks "... nothing adopted" "$S/accepted/killed.xml.receipt" "found in Chorus Pro by invoice number"
no_secrets "no secret in the log" "$T/log" "$T/out"
done_testing
