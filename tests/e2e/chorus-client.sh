#!/bin/sh
# The Chorus Pro client against the emulator: every operation, paging past 10 results,
# one token for concurrent callers, one refresh when tokens expire mid-run, the
# structure cache, and no secret in any output.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0 --lifecycle-step 0.2
emu_conf "$T/c.ini"
drv() {
	"$CHORUSDRV" -v -c "$T/c.ini" -C "$T/cache" "$@" >"$T/out" 2>"$T/err"
	drv_status "$1" $? "$T/err"
}
S=$EMU_SUPPLIER

# ---- token, health-check, own structures ----
drv token then health then own
is "token: ok" "$(jget "$T/out" 1 class)" ok
is "token: expires_in read" "$(jget "$T/out" 1 expires_in)" 3600
is "health-check: ok" "$(jget "$T/out" 2 class)" ok
is "own structures: ok" "$(jget "$T/out" 3 class)" ok
is "own structures: the account's SIRETs" "$(jget "$T/out" 3 sirets)" \
	'["43215678400014","43215678400030"]'
is "one token for the three calls" "$(jget "$T/out" -1 token_fetches)" 1
cat "$T/out" "$T/err" >>"$T/all"

# ---- deposit, deposit report, search, history ----
ubl_invoice "$T/F-0001.xml" CLI-0001
drv deposit "$S" "$T/F-0001.xml"
is "deposit: ok" "$(jget "$T/out" 1 class)" ok
flux=$(jget "$T/out" 1 flux)
case $flux in CPP?????????????????????? ) ok "deposit: numeroFluxDepot $flux" ;;
*) not_ok "deposit: numeroFluxDepot looks like CPP + 22 digits: $flux" ;; esac
is "deposit: one deposit recorded" "$(deposits_of CLI-0001)" 1
contains "deposit: on a fresh connection (debug log)" "$T/err" "fresh connection, not reused"
cat "$T/out" "$T/err" >>"$T/all"

drv report "$S" "$flux"
is "report: ok" "$(jget "$T/out" 1 class)" ok
is "report: integrated" "$(jget "$T/out" 1 state)" IN_INTEGRE
is "report: final" "$(jget "$T/out" 1 final)" true
cat "$T/out" >>"$T/all"

drv search "$S" number=CLI-0001
is "search by number: ok" "$(jget "$T/out" 1 class)" ok
is "search by number: one invoice" "$(jget "$T/out" 1 n)" 1
is "search by number: its flow" "$(jget "$T/out" 1 invoices.0.flux)" "$flux"
id=$(jget "$T/out" 1 invoices.0.id)
drv search "$S" flux="$flux"
is "search by numeroFluxDepot: the same invoice" "$(jget "$T/out" 1 invoices.0.id)" "$id"
drv search "$S" number=NO-SUCH-NUMBER
is "search without result: ok" "$(jget "$T/out" 1 class)" ok
is "search without result: codeRetour 20000" "$(jget "$T/out" 1 code_retour)" 20000
is "search without result: empty" "$(jget "$T/out" 1 n)" 0
cat "$T/out" >>"$T/all"

sleep 0.5
drv history "$S" "$id"
is "history: ok" "$(jget "$T/out" 1 class)" ok
case $(jget "$T/out" 1 statuses) in '["DEPOSEE","MISE_A_DISPOSITION"'*) ok "history: oldest first" ;;
*) not_ok "history: statuses $(jget "$T/out" 1 statuses)" ;; esac
cat "$T/out" >>"$T/all"

# a rejected deposit: the report carries Chorus's reason and what to fix
ubl_invoice "$T/F-bad.xml" CLI-BAD 43215678400014 11000012200025 NO-SUCH-SERVICE
drv deposit "$S" "$T/F-bad.xml"
flux_bad=$(jget "$T/out" 1 flux)
drv report "$S" "$flux_bad"
is "rejected deposit: IN_REJETE" "$(jget "$T/out" 1 state)" IN_REJETE
is "rejected deposit: integrated false" "$(jget "$T/out" 1 integrated)" false
case $(jget "$T/out" 1 errors.0.advice) in *"service code is unknown at buyer 11000012200025"*)
	ok "rejected deposit: advice in plain words" ;;
*) not_ok "rejected deposit: advice: $(jget "$T/out" 1 errors)" ;; esac
cat "$T/out" >>"$T/all"

# CII
sed -e 's/CLI-0001/CLI-CII/' "$T/F-0001.xml" >"$T/F-cii-as-ubl.xml"
drv deposit "$S" "$T/F-cii-as-ubl.xml" cii then sleep 100
flux_cii=$(jget "$T/out" 1 flux)
drv report "$S" "$flux_cii"
is "UBL declared as CII: Chorus's incident (syntaxeFlux IN_DP_E1_CII_16B was sent)" \
	"$(jget "$T/out" 1 state)" IN_INCIDENTE

# ---- paging: 23 invoices, pages of 10 ----
i=1
set --
while [ $i -le 23 ]; do
	n=$(printf 'PAGE-%02d' $i)
	ubl_invoice "$T/$n.xml" "$n" 43215678400030 21750019800015
	if [ $i -gt 1 ]; then set -- "$@" then; fi
	set -- "$@" deposit 43215678400030 "$T/$n.xml"
	i=$((i + 1))
done
drv "$@"
is "23 deposits: all ok" "$(grep -c '"class":"ok"' "$T/out")" 23
# searching all invoices of the account: 1 (CLI-0001) + 23, sorted oldest first
drv search "$S" per_page=10
is "paging: ok" "$(jget "$T/out" 1 class)" ok
is "paging: every invoice read (invoice 11+ not lost)" "$(jget "$T/out" 1 n)" 24
is "paging: Chorus's total" "$(jget "$T/out" 1 total)" 24
is "paging: three pages read" "$(jget "$T/out" 1 pages_read)" 3
is "paging: oldest first" "$(jget "$T/out" 1 invoices.0.number)" CLI-0001
is "paging: the 24th" "$(jget "$T/out" 1 invoices.23.number)" PAGE-23
drv search "$S" max=1
is "max=1: one result, one page" "$(jget "$T/out" 1 n)/$(jget "$T/out" 1 pages_read)" 1/1
cat "$T/out" >>"$T/all"

# ---- concurrent callers share one token request ----
drv parallel 6 search "$S" number=CLI-0001
is "6 concurrent searches: all ok" "$(grep -c '"class":"ok"' "$T/out")" 6
is "6 concurrent searches: one token request" "$(jget "$T/out" -1 token_fetches)" 1

# ---- cancelling: waiting for the token, in flight, a deferred cached answer ----
drv cancel search "$S" then search "$S" then cancel search "$S" then cancel structure 123
is "cancel while waiting for the token: no callback" "$(jget "$T/out" 1 no_callback)" true
is "then the client still works" "$(jget "$T/out" 2 class)" ok
is "cancel in flight: no callback" "$(jget "$T/out" 3 no_callback)" true
is "cancel a deferred answer (not a SIRET): no callback" "$(jget "$T/out" 4 no_callback)" true

# ---- tokens expire mid-run: one refresh, then success ----
drv search "$S" number=CLI-0001 then admin POST /_emulator/faults '{"expire_tokens": true}' \
	then search "$S" number=CLI-0001 then deposit "$S" "$T/F-0001.xml"
is "before expiry: ok" "$(jget "$T/out" 1 class)" ok
is "after expiry: search ok" "$(jget "$T/out" 3 class)" ok
is "after expiry: one new token" "$(jget "$T/out" 3 token_fetches)" 2
contains "the refresh is logged" "$T/err" "PISTE refused the access token"
is "after expiry: the deposit goes through too (a duplicate number: Chorus rejects it later)" \
	"$(jget "$T/out" 4 class)" ok
is "and needed no other token" "$(jget "$T/out" 4 token_fetches)" 2
cat "$T/out" "$T/err" >>"$T/all"

# a token that expires by itself (short lifetime) is renewed before it is refused
stop_emulator
start_emulator --integration-delay 0 --token-ttl 1
emu_conf "$T/c.ini"
drv search "$S" then sleep 1100 then search "$S"
is "short-lived token: both searches ok" "$(grep -c '"class":"ok"' "$T/out")" 2
is "short-lived token: renewed once" "$(jget "$T/out" 2 token_fetches)" 2
lacks "short-lived token: renewed before PISTE refused it" "$T/err" "PISTE refused"
cat "$T/out" "$T/err" >>"$T/all"

# ---- structures, cached ----
drv structure 26130025500013
is "structure: ok" "$(jget "$T/out" 1 class)" ok
is "structure: found" "$(jget "$T/out" 1 found)" true
is "structure: name" "$(jget "$T/out" 1 name)" "CENTRE HOSPITALIER DE MONTREVAL"
is "structure: service code mandatory" "$(jget "$T/out" 1 service_required)" true
is "structure: engagement not mandatory" "$(jget "$T/out" 1 engagement_required)" false
is "structure: its services" "$(jget "$T/out" 1 services)" \
	'[{"code":"ACHATS","active":true},{"code":"PHARMACIE","active":true},{"code":"TRAVAUX","active":true}]'
is "structure: not from the cache the first time" "$(jget "$T/out" 1 from_cache)" false
check "structure: cache file written" test -s "$T/cache/structure-26130025500013.json"
drv structure 26130025500013
is "structure again: from the cache" "$(jget "$T/out" 1 from_cache)" true
is "structure again: same answer" "$(jget "$T/out" 1 service_required)" true
is "structure again: no request (no token)" "$(jget "$T/out" 1 token_fetches)" 0
drv structure 26130025500013 refresh
is "structure refresh: asked again" "$(jget "$T/out" 1 from_cache)" false
drv structure 19910055300015
is "structure: engagement mandatory" "$(jget "$T/out" 1 engagement_required)" true
drv structure 21990999100016
is "unknown SIRET: ok" "$(jget "$T/out" 1 class)" ok
is "unknown SIRET: not found" "$(jget "$T/out" 1 found)" false
drv structure ../../etc
is "not a SIRET: refused without a request" "$(jget "$T/out" 1 class)" document
cat "$T/out" >>"$T/all"
sed 's/^timeout = .*/&\nstructure_cache_ttl = 0/' "$T/c.ini" >"$T/c0.ini"
chmod 600 "$T/c0.ini"
"$CHORUSDRV" -c "$T/c0.ini" -C "$T/cache0" structure 26130025500013 then structure 26130025500013 \
	>"$T/out" 2>"$T/err"
drv_status structure $? "$T/err"
is "structure_cache_ttl = 0: never from the cache" "$(jget "$T/out" 2 from_cache)" false
check "structure_cache_ttl = 0: nothing written" test ! -e "$T/cache0"

no_secrets "no secret in any output or debug log" "$T/all"
done_testing
