#!/bin/sh
# A supplier without a SIRET (chorusgw-erp(5), SUPPLIERS WITHOUT A SIRET) with a [pa]
# section (chorusgw(8), ROUTES): to a public buyer the routing rule sends it to Chorus
# Pro, accepted; when the PA route is decided for it (the export names it, or the
# Directory knows the buyer as a company) it is refused locally with the sentence that
# says why and what to do, and nothing reaches the PA; `validate --route pa` says it too.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.1 --lifecycle-step 600
start_pa_emulator
S=$T/spool
pa_conf "$T/c.ini" "$S"

ex=$top_srcdir/xslt/examples
cp "$ex/invoice-supplier-eu.xml" "$T/public.xml"
# the export names the PA route
sed -e 's|<number>[^<]*</number>|<number>NS-PA-1</number>|' \
	-e 's|</currency>|</currency><billing-mode>S1</billing-mode><route>pa</route>|' \
	"$ex/invoice-supplier-eu.xml" >"$T/named.xml"
# a buyer the Directory knows as a company (PA_BUYER): the routing rule takes the PA
sed -e 's|<number>[^<]*</number>|<number>NS-PA-2</number>|' \
	-e "s|<siret>26330059200015</siret>|<siret>${PA_BUYER}00017</siret>|" \
	"$ex/invoice-supplier-non-eu.xml" >"$T/company.xml"
for f in public named company; do drop "$T/$f.xml" "$S/inbox"; done
"$CHORUSGW" -c "$T/c.ini" once >"$T/o.out" 2>"$T/o.log"

r=$S/accepted/public.xml.receipt
is "to a public buyer: accepted" "$(rkey "$r" state 2>/dev/null)" accepted || diag "$(cat "$T/o.log")"
is "... by Chorus Pro directly" "$(rkey "$r" route)" chorus

r=$S/rejected/named.xml.receipt
is "<route>pa</route>: rejected" "$(rkey "$r" state 2>/dev/null)" rejected
contains "... saying why" "$r" \
	"the supplier has no SIRET (DE129273398, UE_HORS_FRANCE): the Plateforme Agréée route carries the invoices of companies established in France, which the French rules identify by their SIREN (BR-FR-10)"
contains "... and what to do" "$r" \
	"to a public buyer, deposit it on Chorus Pro directly (<route>chorus</route> in the export, or [route] public = chorus); to a company, send it outside chorusgw"
lacks "... not the French rules' pile" "$r" "BR-FR-13"

r=$S/rejected/company.xml.receipt
is "to a company (Directory): rejected" "$(rkey "$r" state 2>/dev/null)" rejected
contains "... saying why" "$r" "the supplier has no SIRET (CHE109322551, HORS_UE)"
contains "... what decided the route" "$r" "a private buyer (Directory)"

# `validate --route pa` says the same, alone (not the French rules' errors)
"$CHORUSGW" -c "$T/c.ini" validate --route pa "$ex/invoice-supplier-eu.xml" >"$T/v.out" 2>&1
is "validate --route pa: exit 4 (refused)" "$?" 4
contains "... one error" "$T/v.out" "cannot be sent to the Plateforme Agréée: 1 error, 0 warnings"
contains "... the same sentence" "$T/v.out" "error: the supplier has no SIRET (DE129273398, UE_HORS_FRANCE)"

n=$(pa_emu GET /_emulator/received | "$EMU_PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)))')
is "nothing reached the PA" "$n" 0
is "nor Chorus Pro" "$(deposits_of NS-PA-1)$(deposits_of NS-PA-2)" 00
done_testing
