#!/bin/sh
# [chorus] check_structures: the buyer's requirements are read from the Structures API
# (cached) before a deposit, so an unknown buyer, an unknown service code or a missing
# engagement number is refused locally, with what to fix, and never deposited. When the
# Structures API cannot answer, the check is skipped, not the invoice.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.2 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[chorus]
check_structures = yes
EOC
for f in invoice-simple reject-unknown-buyer reject-unknown-service reject-missing-engagement; do
	drop "$top_srcdir/xslt/examples/$f.xml" "$S/inbox"
done
"$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log"
is "once exits 4" "$?" 4
is "the good invoice is accepted" "$(count "$S/accepted" 'invoice-simple.xml.receipt')" 1
is "three refused" "$(count "$S/rejected" '*.receipt')" 3
contains "unknown buyer: said" "$S/rejected/reject-unknown-buyer.xml.receipt" \
	"the buyer SIRET 21990999100016 is not a structure of Chorus Pro"
contains "unknown service code: said, with the buyer's services" \
	"$S/rejected/reject-unknown-service.xml.receipt" \
	"the service code SERV-INCONNU does not exist at the buyer 11000201100044"
contains "unknown service code: the known ones listed" \
	"$S/rejected/reject-unknown-service.xml.receipt" "SERV-FIN-01"
contains "missing engagement: said" "$S/rejected/reject-missing-engagement.xml.receipt" \
	"requires an engagement number"
for n in F2025-000171 FB-2025-0062 F2025-000175; do
	is "$n never deposited" "$(deposits_of "$n")" 0
done
is "the good one deposited once" "$(deposits_of F2025-000142)" 1

# a service's own requirement (consulter/service) where the structure has none: the
# State's SFACT-PARIS takes no invoice without an engagement number, SFACT-REGIONS does
to_service() { # FILE NUMBER BUYER SERVICE
	sed -e "s|<number>F2025-000142</number>|<number>$2</number>|" \
		-e "s|<siret>26330059200015</siret>|<siret>$3</siret><service-code>$4</service-code>|" \
		"$top_srcdir/xslt/examples/invoice-simple.xml" >"$1"
}
to_service "$T/paris.xml" SVC-EJ-1 11000012200025 SFACT-PARIS
to_service "$T/regions.xml" SVC-EJ-2 11000012200025 SFACT-REGIONS
to_service "$T/fp.xml" SVC-FP-1 21750019800015 ECOLES
for f in paris regions fp; do drop "$T/$f.xml" "$S/inbox"; done
"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
contains "a service that requires an engagement: refused locally, by name" \
	"$S/rejected/paris.xml.receipt" \
	"the service SFACT-PARIS of the buyer 11000012200025 (MINISTERE DE L'EXEMPLE - SERVICE FACTURIER) requires an engagement number"
is "... never deposited" "$(deposits_of SVC-EJ-1)" 0
is "the same buyer's other service takes it" "$(count "$S/accepted" 'regions.xml.receipt')" 1
contains "an unknown service: the buyer's services listed" "$S/rejected/fp.xml.receipt" \
	"write one of its active services: FINANCES, TECHNIQUE"
lacks "... without the FACTURES_PUBLIQUES pseudo-service" "$S/rejected/fp.xml.receipt" \
	"FACTURES_PUBLIQUES"
calls() { emu GET /_emulator/stats | "$EMU_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["requests"].get(sys.argv[1], 0))' "$1"; }
is "consulter/service asked for the two invoices without an engagement only" \
	"$(calls 'POST /cpro/structures/v1/consulter/service')" 2

# the Structures API refuses us (not subscribed): the check is skipped, Chorus Pro decides
emu POST /_emulator/faults '{"forbid": {"api": "structures"}}' >/dev/null
gw_conf "$T/c2.ini" "$S" <<EOC
[chorus]
check_structures = yes
structure_cache_ttl = 0s
EOC
sed 's|<number>FB-2025-0062</number>|<number>FB-2025-0099</number>|' \
	"$top_srcdir/xslt/examples/reject-unknown-service.xml" >"$T/svc2.xml"
drop "$T/svc2.xml" "$S/inbox"
"$CHORUSGW" -c "$T/c2.ini" once >>"$T/out" 2>>"$T/log"
contains "Structures API refused: the check is skipped" "$T/log" "buyer check skipped"
is "and Chorus Pro rejected it instead" "$(deposits_of FB-2025-0099)" 1
contains "with Chorus Pro's own reason" "$S/rejected/svc2.xml.receipt" "SERV-INCONNU"
done_testing
