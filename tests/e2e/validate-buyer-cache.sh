#!/bin/sh
# `chorusgw validate` and the buyer rules of the Structures API (BUYER-SERVICE,
# BUYER-ENGAGEMENT...): checked against the Structures cache the gateway keeps in the
# spool when it has an entry for the invoice's buyer, expired or not, with the entry
# and its date named; without an entry (or with [chorus] check_structures off) they are
# not checked and the output says so. validate never asks the network. The gateway's
# rejected receipts carry the same rule ids.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.2 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[chorus]
check_structures = yes
EOC
EX=$top_srcdir/xslt/examples
CACHE=$S/.chorusgw/cache

# no cache entry yet: the pre-flight alone, and a note that the buyer was not checked
run_gw nocache -c "$T/c.ini" validate "$EX/reject-unknown-service.xml"
is "no cache entry: the pre-flight alone accepts it" "$rc" 0
lacks "no cache entry: no BUYER-SERVICE" "$T/nocache.out" "BUYER-SERVICE"
contains "no cache entry: said" "$T/nocache.out" \
	"note: buyer rules not checked: no Structures cache entry for 11000201100044"
run_gw nocache2 -c "$T/c.ini" validate "$EX/reject-missing-engagement.xml"
is "no cache entry: the missing engagement passes" "$rc" 0
lacks "... no BUYER-ENGAGEMENT" "$T/nocache2.out" "BUYER-ENGAGEMENT"
is "validate asked the Structures API nothing" \
	"$(emu GET /_emulator/stats | "$EMU_PYTHON" -c 'import json,sys; print(sum(v for k, v in json.load(sys.stdin)["requests"].items() if "/structures/" in k))')" 0

# the gateway checks the buyers once: the cache is written, the receipts carry the ids
for f in reject-unknown-service reject-missing-engagement; do drop "$EX/$f.xml" "$S/inbox"; done
"$CHORUSGW" -c "$T/c.ini" once >"$T/once.out" 2>"$T/once.log"
is "the gateway refuses both" "$(count "$S/rejected" '*.receipt')" 2
contains "the receipt carries rule BUYER-SERVICE" "$S/rejected/reject-unknown-service.xml.receipt" \
	"(rule BUYER-SERVICE)"
contains "the receipt carries rule BUYER-ENGAGEMENT" \
	"$S/rejected/reject-missing-engagement.xml.receipt" "(rule BUYER-ENGAGEMENT)"
check "the cache entry of the buyer exists" test -f "$CACHE/structure-11000201100044.json"

run_gw svc -c "$T/c.ini" validate "$EX/reject-unknown-service.xml"
is "with the cache: the unknown service refused (exit 4)" "$rc" 4
contains "... by rule id BUYER-SERVICE" "$T/svc.out" "(rule BUYER-SERVICE)"
contains "... with the buyer's services" "$T/svc.out" "SERV-FIN-01"
contains "... and the cache entry named, with its date" "$T/svc.out" \
	"note: buyer rules checked against the Structures cache entry $CACHE/structure-11000201100044.json of 20"
contains "... fresh" "$T/svc.out" "(within [chorus] structure_cache_ttl)"
run_gw ej -c "$T/c.ini" validate "$EX/reject-missing-engagement.xml"
is "with the cache: the missing engagement refused (exit 4)" "$rc" 4
contains "... by rule id BUYER-ENGAGEMENT" "$T/ej.out" "(rule BUYER-ENGAGEMENT)"

# a service's own engagement requirement (consulter/service), where its structure has
# none: kept in the cache when the gateway asked it, and shown by validate
to_service() { # FILE NUMBER BUYER SERVICE
	sed -e "s|<number>F2025-000142</number>|<number>$2</number>|" \
		-e "s|<siret>26330059200015</siret>|<siret>$3</siret><service-code>$4</service-code>|" \
		"$EX/invoice-simple.xml" >"$1"
}
to_service "$T/paris.xml" SVC-EJ-1 11000012200025 SFACT-PARIS
to_service "$T/regions.xml" SVC-EJ-2 11000012200025 SFACT-REGIONS
run_gw paris0 -c "$T/c.ini" validate "$T/paris.xml"
lacks "nothing cached for this buyer yet: no BUYER-ENGAGEMENT" "$T/paris0.out" "BUYER-ENGAGEMENT"
drop "$T/paris.xml" "$S/inbox"
"$CHORUSGW" -c "$T/c.ini" once >>"$T/once.out" 2>>"$T/once.log"
contains "the gateway refuses it by the service's requirement" "$S/rejected/paris.xml.receipt" \
	"(rule BUYER-ENGAGEMENT)"
run_gw paris -c "$T/c.ini" validate "$T/paris.xml"
is "with the service's cached answer: refused (exit 4)" "$rc" 4
contains "... by rule id BUYER-ENGAGEMENT, naming the service" "$T/paris.out" \
	"the service SFACT-PARIS of the buyer 11000012200025 (MINISTERE DE L'EXEMPLE - SERVICE FACTURIER) requires an engagement number"
run_gw regions -c "$T/c.ini" validate "$T/regions.xml"
is "the same buyer's other service takes it" "$rc" 0

# an expired entry is still used (validate never asks the network), and said expired
"$EMU_PYTHON" - "$CACHE/structure-11000201100044.json" <<'EOP'
import json, sys
p = sys.argv[1]
o = json.load(open(p))
o["fetched"] = 1700000000000  # 2023-11-14
open(p, "w").write(json.dumps(o))
EOP
run_gw old -c "$T/c.ini" validate "$EX/reject-unknown-service.xml"
is "expired entry: still used (exit 4)" "$rc" 4
contains "... BUYER-SERVICE" "$T/old.out" "(rule BUYER-SERVICE)"
contains "... dated and said expired" "$T/old.out" \
	"of 2023-11-14T22:13:20Z (expired: the gateway would ask the Structures API again)"

# the gateway does not check buyers: neither does validate
gw_conf "$T/off.ini" "$S" </dev/null
run_gw off -c "$T/off.ini" validate "$EX/reject-unknown-service.xml"
is "check_structures off: accepted" "$rc" 0
lacks "... no BUYER-SERVICE" "$T/off.out" "BUYER-SERVICE"
contains "... said" "$T/off.out" "buyer rules not checked ([chorus] check_structures is off)"

# the PA route has no Structures API
run_gw pa -c "$T/c.ini" validate --route pa "$EX/reject-unknown-service.xml"
lacks "--route pa: no buyer rules" "$T/pa.out" "BUYER-SERVICE"

# a damaged entry: not used, said
echo '{"version": 1' >"$CACHE/structure-11000201100044.json"
run_gw bad -c "$T/c.ini" validate "$EX/reject-unknown-service.xml"
is "damaged entry: not used (exit 0)" "$rc" 0
contains "... said" "$T/bad.out" "buyer rules not checked: $CACHE/structure-11000201100044.json is damaged"
done_testing
