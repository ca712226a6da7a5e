#!/bin/sh
# The Plateforme Agréée client (pa.c) against the PA emulator, through padrv: the token
# (shared, refreshed once on a 401, expired or revoked), the Flow Service (send with
# multipart and sha256, search with cursor paging, download), the Directory (found, not
# found, not receiving, cached), and the classification of faults and set-up errors.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_pa_emulator
conf() { # conf FILE [extra [pa] lines on stdin]
	{
		printf '[spool]\ndir = %s/spool\n' "$T"
		pa_ini
		cat
	} | write_private "$1"
}
conf "$T/c.ini" </dev/null
P() { "$PADRV" -c "$T/c.ini" -C "$T/cache" "$@" >"$T/out" 2>"$T/err"; drv=$?; }
J() { jget "$T/out" "$@"; }

# ---- token, healthchecks ----
P token then health then dir-health
is "token" "$(J 1 class)" ok
is "token: its lifetime" "$(J 1 expires_in)" 3600
is "Flow Service healthcheck" "$(J 2 class)" ok
is "Directory healthcheck (scope health.read, granted when none is asked)" "$(J 3 class)" ok
is "one token for the three calls" "$(J 3 token_fetches)" 1
P parallel 6 health
is "six calls at once share one token request" "$(J -1 token_fetches)" 1

# ---- the Directory ----
P siren "$PA_BUYER" then siren 999999999 then siret 26330059200015 then lines "$PA_BUYER" \
	then lines "$PA_NOT_RECEIVING" then line "$PA_BUYER" then routing 11000201100044 SERV-FIN-01 \
	then siren 12345 then siren "$PA_PUBLIC_BUYER"
is "SIREN found" "$(J 1 found)" true
is "... a private company" "$(J 1 entity_type)" PrivateVatRegistered
is "unknown SIREN: ok, not found" "$(J 2 class)/$(J 2 found)" ok/false
is "SIRET of a public facility" "$(J 3 b2g)" true
is "directory lines of a receiving company" "$(J 4 count)" 1
is "... on a PA (WK), Enabled" "$(J 4 lines.0.platform)/$(J 4 lines.0.status)" WK/Enabled
is "a company that does not receive yet: no line" "$(J 5 count)" 0
is "one directory line by its address" "$(J 6 lines.0.address)" "$PA_BUYER"
is "a routing code" "$(J 7 name)" "Service financier"
is "a malformed SIREN is refused before any request" "$(J 8 class)" document
is "a public buyer" "$(J 9 entity_type)" Public
# requests to the PA's API (the emulator's own admin routes left out)
api_requests() {
	pa_emu GET /_emulator/stats | "$EMU_PYTHON" -c '
import json, sys
print(sum(n for k, n in json.load(sys.stdin)["requests"].items() if "/_emulator/" not in k))'
}
before=$(api_requests)
P siren "$PA_BUYER" then siren 999999999
is "cached answer" "$(J 1 from_cache)" true
is "cached 'not found' too" "$(J 2 from_cache)/$(J 2 found)" true/false
after=$(api_requests)
is "the cache asked the PA nothing" "$after" "$before"
P siren "$PA_BUYER" refresh
is "refresh asks again" "$(J 1 from_cache)" false

# ---- sending ----
pa_invoice "$T/a.xml" ubl PAC-0001
P send "$T/a.xml" UBL tracking=QA1 rule=B2B profile=CIUS
is "send: accepted for processing (202)" "$(J 1 class)/$(J 1 http_status)" ok/202
F1=$(J 1 flow.flowId)
check "send: a flow id" test -n "$F1"
is "send: the sha256 the PA computed is ours (lowercase hex)" "$(J 1 flow.sha256)" \
	"$(sha256sum "$T/a.xml" | cut -d' ' -f1)"
pa_emu GET /_emulator/received >"$T/received.json"
rec() { "$EMU_PYTHON" -c 'import json,sys; r=[x for x in json.load(open(sys.argv[1])) if x["flowId"]==sys.argv[2]][0]; print(r[sys.argv[3]])' "$T/received.json" "$@"; }
is "the PA received the trackingId" "$(rec "$F1" trackingId)" QA1
is "... the declared sha256 matched the file" "$(rec "$F1" sha256)" "$(rec "$F1" file_sha256)"
is "... the processing rule" "$(rec "$F1" processingRule)" B2B
is "... syntax" "$(rec "$F1" flowSyntax)" UBL
pa_emu POST /_emulator/clock '{"advance": 5}' >/dev/null
P search tracking=QA1
is "search by trackingId" "$(J 1 count)" 1
is "... acknowledged Ok" "$(J 1 flows.0.ack)" Ok
is "... an invoice we sent (Out)" "$(J 1 flows.0.direction)/$(J 1 flows.0.type)" Out/CustomerInvoice
P send "$T/a.xml" UBL tracking=QA1 rule=B2B
F2=$(J 1 flow.flowId)
pa_emu POST /_emulator/clock '{"advance": 5}' >/dev/null
P search tracking=QA1
is "the same trackingId again: two flows" "$(J 1 count)" 2
dup=$(jget "$T/out" 1 flows | "$EMU_PYTHON" -c 'import json,sys; print([f["details"][0]["code"] for f in json.load(sys.stdin) if f["flowId"]==sys.argv[1]][0])' "$F2")
is "... the second acknowledged AlreadyExistingFlow" "$dup" AlreadyExistingFlow
P get "$F1" then get "$F1" Original out="$T/back.xml" then get NO-SUCH-FLOW
is "metadata of a flow" "$(J 1 flow.flowId)" "$F1"
is "download of the original" "$(J 2 file_name)" a.xml
check "... the bytes sent" cmp -s "$T/a.xml" "$T/back.xml"
is "an unknown flow: refused" "$(J 3 class)/$(J 3 http_status)" document/404

# ---- search paging ----
i=1
while [ $i -le 5 ]; do
	pa_invoice "$T/p$i.xml" ubl "PAG-000$i"
	P send "$T/p$i.xml" UBL tracking=PAGE rule=B2B
	i=$((i + 1))
done
# every acknowledgement now: one arriving between two page reads would move its flow
# (updatedAt) behind the cursor and the last page would read it twice
pa_emu POST /_emulator/clock '{"advance": 5}' >/dev/null
P search tracking=PAGE limit=2
is "five flows over three pages of two" "$(J 1 count)/$(J 1 pages)" 5/3
is "... read to the end: no cursor left" "$(J 1 next_cursor)" ""
P search tracking=PAGE limit=2 pages=1
is "one page at a time: two flows" "$(J 1 count)" 2
cur=$(J 1 next_cursor)
check "... and where the next starts" test -n "$cur"
P search tracking=PAGE limit=2 "cursor=$cur"
is "from that cursor: the three others" "$(J 1 count)" 3
P search tracking=QA1 limit=2 "cursor=$cur"
is "a cursor with other criteria is refused (a document error)" "$(J 1 class)" document
pa_emu POST /_emulator/faults '{"paging": {"code": 503, "count": 1}}' >/dev/null
P search tracking=PAGE limit=2
is "5xx in the middle of paging: retry" "$(J 1 class)" retry

# ---- the token: expiry, revocation ----
pa_emu POST /_emulator/faults '{}' >/dev/null
# token_fault FAULT : a client holds a token, the PA expires or revokes it, the client
# calls again (the fault lands during padrv's 1.5 s sleep)
token_fault() {
	"$PADRV" -c "$T/c.ini" token then sleep 1500 then health >"$T/out" 2>"$T/err" &
	_p=$!
	sleep 0.5
	pa_emu POST /_emulator/faults "{\"$1\": true}" >/dev/null
	wait $_p
}
token_fault expire_tokens
is "a token the PA expired: one refresh on the 401, then ok" \
	"$(J 2 class)/$(J 2 token_fetches)" ok/2
contains "... the log says why, from WWW-Authenticate" "$T/err" "The access token expired"
token_fault revoke_tokens
is "a revoked token: one refresh on the 401, then ok" "$(J 2 class)/$(J 2 token_fetches)" ok/2

# ---- faults ----
pa_invoice "$T/f.xml" ubl PAC-0010
pa_emu POST /_emulator/faults '{"lose_response": {"count": 1, "route": "/flow-service/v1/flows"}}' >/dev/null
P send "$T/f.xml" UBL tracking=LOST
is "answer lost after the flow was recorded: retry" "$(J 1 class)" retry
is "... outcome unknown" "$(J 1 unknown_outcome)" true
P search tracking=LOST
is "... the search by trackingId finds it" "$(J 1 count)" 1
pa_emu POST /_emulator/faults '{"status": {"code": 503, "count": 1, "route": "/flow-service/v1/flows"}}' >/dev/null
P send "$T/f.xml" UBL tracking=DOWN
is "503 on the send: retry, outcome unknown" "$(J 1 class)/$(J 1 unknown_outcome)" retry/true
pa_emu POST /_emulator/faults '{"rate_limit": {"retry_after": 3, "count": 1}}' >/dev/null
P health
is "429: retry, Retry-After honoured" "$(J 1 class)/$(J 1 retry_after_ms)" retry/3000
pa_emu POST /_emulator/faults '{"reset": {"count": 1, "route": "/flow-service/v1/flows"}}' >/dev/null
P send "$T/f.xml" UBL tracking=RESET
is "connection reset: retry" "$(J 1 class)" retry

# ---- set-up errors ----
conf "$T/bad.ini" <<EOC
EOC
sed -i "s/^client_secret = .*/client_secret = wrong-secret/" "$T/bad.ini"
"$PADRV" -c "$T/bad.ini" token then health >"$T/out" 2>"$T/err"
is "wrong secret: set-up" "$(J 1 class)" setup
check "... says which keys" grep -q 'client_id (chorusgw-pa) and client_secret' "$T/out"
is "... every waiting call gets the same" "$(J 2 class)" setup
conf "$T/org.ini" <<EOC
organization_id = 834567893
EOC
"$PADRV" -c "$T/org.ini" search tracking=QA1 >"$T/out" 2>"$T/err"
is "an Organization-Id of another customer: set-up" "$(J 1 class)" setup
check "... points at organization_id" grep -q 'organization_id' "$T/out"
conf "$T/org2.ini" <<EOC
organization_id = $PA_SELLER
EOC
"$PADRV" -c "$T/org2.ini" search tracking=QA1 >"$T/out" 2>"$T/err"
is "the Organization-Id of one of our companies: ok" "$(J 1 class)" ok
conf "$T/scope.ini" <<EOC
scope = no.such.scope
EOC
"$PADRV" -c "$T/scope.ini" token >"$T/out" 2>"$T/err"
is "a scope the PA does not grant: set-up" "$(J 1 class)" setup
check "... names [pa] scope" grep -q '\[pa\] scope' "$T/out"
conf "$T/url.ini" </dev/null
sed -i "s|^url = .*|url = $PA_URL/no-such-service|" "$T/url.ini"
"$PADRV" -c "$T/url.ini" health >"$T/out" 2>"$T/err"
is "a wrong Flow Service URL: set-up" "$(J 1 class)" setup
check "... names [pa] url" grep -q '\[pa\] url' "$T/out"

P cancel search tracking=QA1
is "a cancelled call: no callback" "$(J 1 no_callback)" true
drv_status padrv "$drv" "$T/err"
NO_SECRETS_EXTRA=wrong-secret no_secrets "no secret in any output" "$T/out" "$T/err"
done_testing
