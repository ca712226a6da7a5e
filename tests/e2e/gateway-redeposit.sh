#!/bin/sh
# An unknown outcome settled too early: the search runs before Chorus Pro has
# integrated the first deposit, finds nothing, and the invoice is deposited again;
# Chorus Pro refuses the second as a duplicate of the first, the gateway searches again
# before calling the document rejected, and adopts the first deposit. The log says what
# happened (a second deposit, refused), not that nothing was sent again.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 3 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[gateway]
unknown_wait = 100ms
retry_min = 100ms
report_poll = 500ms
EOC
DEPOSIT=/cpro/factures/v1/deposer/flux

emu POST /_emulator/faults "{\"lose_response\": {\"count\": 1, \"route\": \"$DEPOSIT\"}}" >/dev/null
erp_invoice "$T/r.xml" REDEP-0001
drop "$T/r.xml" "$S/inbox"
"$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log"
is "once exits 0" "$?" 0
r=$S/accepted/r.xml.receipt
is "accepted" "$(rkey "$r" state)" accepted
is "two deposits reached Chorus Pro (the second refused as a duplicate)" "$(deposits_of REDEP-0001)" 2
first=$(emu GET /_emulator/deposits | "$EMU_PYTHON" -c '
import json, sys
print([d for d in json.load(sys.stdin) if d.get("numeroFluxDepot")][0]["numeroFluxDepot"])')
is "the first deposit is the one adopted" "$(rkey "$r" numero_flux_depot)" "$first"
is "two attempts recorded" "$(rkey "$r" attempts)" 2
lacks "the log does not claim nothing was sent again" "$T/log" "not sent again"
contains "the log says the second deposit was refused as a duplicate" "$T/log" \
	"refused as a duplicate of it"
contains "so does the receipt's history" "$r" "refused as its duplicate"
done_testing
