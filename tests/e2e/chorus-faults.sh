#!/bin/sh
# Each fault of the emulator ends in the right classification (DESIGN §3), deposits
# whose fate is unknown say so, and a deposit whose keep-alive connection closes
# without an answer is not re-sent behind the gateway's back (DESIGN §2.5).
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0
emu_conf "$T/c.ini"
sed 's/^timeout = .*/timeout = 1s/' "$T/c.ini" >"$T/short.ini"
chmod 600 "$T/short.ini"
S=$EMU_SUPPLIER
n=0
# fault NAME JSON OP ARGS... : set the fault (only), run OP, clear the faults; the
# reply in $T/NAME.out.
fault() {
	_name=$1
	_json=$2
	shift 2
	emu POST /_emulator/faults "$_json" >/dev/null
	"$CHORUSDRV" -v -c "${CONF:-$T/c.ini}" "$@" >"$T/$_name.out" 2>"$T/$_name.err"
	drv_status "$_name" $? "$T/$_name.err"
	emu POST /_emulator/faults '{}' >/dev/null
	cat "$T/$_name.out" "$T/$_name.err" >>"$T/all"
}
# invoice : a new invoice file, its number in $num
invoice() {
	n=$((n + 1))
	num=$(printf 'FLT-%03d' $n)
	ubl_invoice "$T/$num.xml" "$num"
}
D=/cpro/factures/v1/deposer/flux

# 5xx: retry; a deposit answered 503 after being processed has an unknown outcome
fault s503 '{"status": {"code": 503}}' search "$S"
is "503 on a search: retry" "$(jget "$T/s503.out" 1 class)" retry
is "503: the status" "$(jget "$T/s503.out" 1 http_status)" 503
case $(jget "$T/s503.out" 1 raw) in *"503 Service Unavailable"*) ok "503: raw answer kept" ;;
*) not_ok "503: raw answer kept" ;; esac
invoice
fault d502 '{"status": {"code": 502, "process": true, "route": "'$D'"}}' deposit "$S" "$T/$num.xml"
is "502 on a deposit: retry" "$(jget "$T/d502.out" 1 class)" retry
is "502 on a deposit: unknown outcome" "$(jget "$T/d502.out" 1 unknown_outcome)" true
is "502 after processing: the deposit exists, hence the search first" "$(deposits_of "$num")" 1

# 429 with Retry-After
invoice
fault r429 '{"rate_limit": {"retry_after": 3}}' deposit "$S" "$T/$num.xml"
is "429: retry" "$(jget "$T/r429.out" 1 class)" retry
is "429: Retry-After honoured" "$(jget "$T/r429.out" 1 retry_after_ms)" 3000
is "429: the deposit was refused before Chorus saw it" "$(jget "$T/r429.out" 1 unknown_outcome)" false
is "429: no deposit made" "$(deposits_of "$num")" 0

# a slow answer beyond [chorus] timeout
invoice
CONF=$T/short.ini fault slow '{"slow_ms": {"ms": 2500, "route": "'$D'"}}' deposit "$S" "$T/$num.xml"
is "slow answer: retry" "$(jget "$T/slow.out" 1 class)" retry
is "slow deposit: unknown outcome" "$(jget "$T/slow.out" 1 unknown_outcome)" true
case $(jget "$T/slow.out" 1 reason) in *"did not answer in time"*) ok "slow: says timeout" ;;
*) not_ok "slow: $(jget "$T/slow.out" 1 reason)" ;; esac
CONF=$T/short.ini fault slows '{"slow_ms": 2500}' search "$S"
is "slow search: retry" "$(jget "$T/slows.out" 1 class)" retry
is "slow search: no unknown outcome" "$(jget "$T/slows.out" 1 unknown_outcome)" false

# connection reset
invoice
fault reset '{"reset": {"route": "'$D'"}}' deposit "$S" "$T/$num.xml"
is "reset: retry" "$(jget "$T/reset.out" 1 class)" retry
is "reset after sending a deposit: unknown outcome" "$(jget "$T/reset.out" 1 unknown_outcome)" true
fault resets '{"reset": {}}' search "$S"
is "reset on a search: retry" "$(jget "$T/resets.out" 1 class)" retry

# a non-JSON body with HTTP 200
invoice
fault nj '{"non_json": {"route": "'$D'"}}' deposit "$S" "$T/$num.xml"
is "non-JSON 200: retry" "$(jget "$T/nj.out" 1 class)" retry
is "non-JSON 200 to a deposit: unknown outcome" "$(jget "$T/nj.out" 1 unknown_outcome)" true
fault njs '{"non_json": {}}' search "$S"
is "non-JSON 200 to a search: retry" "$(jget "$T/njs.out" 1 class)" retry

# 401: the technical account (no token refresh helps)
fault bad '{"bad_account": {}}' search "$S"
is "401 bad account: set-up" "$(jget "$T/bad.out" 1 class)" setup
case $(jget "$T/bad.out" 1 reason) in *"login or password incorrects"*)
	ok "401: WWW-Authenticate read" ;;
*) not_ok "401: $(jget "$T/bad.out" 1 reason)" ;; esac
case $(jget "$T/bad.out" 1 setup) in *"14 months"*) ok "401: the 14-month expiry" ;;
*) not_ok "401: setup $(jget "$T/bad.out" 1 setup)" ;; esac
emu_conf "$T/wrong.ini" "$EMU_CLIENT" "$EMU_SECRET" "$EMU_LOGIN" wrong-password
CONF=$T/wrong.ini fault wrong '{}' deposit "$S" "$T/$num.xml"
is "wrong technical password on a deposit: set-up" "$(jget "$T/wrong.out" 1 class)" setup
is "wrong password: a known outcome" "$(jget "$T/wrong.out" 1 unknown_outcome)" false

# 401 on the token, twice in a row: one refresh, then a set-up error
fault exp '{"status": {"code": 401, "body": "json", "count": 2, "route": "/cpro/"}}' \
	search "$S"
is "401 twice on the token: set-up" "$(jget "$T/exp.out" 1 class)" setup

# 403: an API the PISTE application is not subscribed to
fault forbid '{"forbid": {"api": "structures"}}' structure 21750019800015
is "403 unsubscribed: set-up" "$(jget "$T/forbid.out" 1 class)" setup
case $(jget "$T/forbid.out" 1 setup) in *"CGU"*) ok "403: subscribe (CGU) on PISTE" ;;
*) not_ok "403: $(jget "$T/forbid.out" 1 setup)" ;; esac

# 400 with Chorus Pro's codeRetour: Chorus Pro refused the request
invoice
fault s400 '{"status": {"code": 400, "body": "json", "count": 1, "route": "'$D'"}}' \
	deposit "$S" "$T/$num.xml"
is "400 with a codeRetour: document" "$(jget "$T/s400.out" 1 class)" document
is "400: the status" "$(jget "$T/s400.out" 1 http_status)" 400
is "400: no deposit, a known outcome" "$(jget "$T/s400.out" 1 unknown_outcome)" false
case $(jget "$T/s400.out" 1 reason) in *"400 Bad Request"*) ok "400: Chorus's libelle" ;;
*) not_ok "400: $(jget "$T/s400.out" 1 reason)" ;; esac

# codeRetour != 0 with HTTP 200 (a file over 10 MB)
head -c 10600000 /dev/zero | tr '\0' ' ' >"$T/big.xml"
fault big '{}' deposit "$S" "$T/big.xml"
is "codeRetour 20001: document" "$(jget "$T/big.out" 1 class)" document
is "codeRetour 20001: HTTP 200" "$(jget "$T/big.out" 1 http_status)" 200
case $(jget "$T/big.out" 1 advice) in *"larger than Chorus Pro takes"*) ok "20001 in words" ;;
*) not_ok "20001: $(jget "$T/big.out" 1 advice)" ;; esac

# ---- no silent re-send (DESIGN §2.5) ----
# The connection of the deposit closes after Chorus took it, without an answer. A
# health-check first leaves a keep-alive connection the deposit could have reused.
invoice
fault lost '{"lose_response": {"route": "'$D'", "count": 1}}' \
	health then deposit "$S" "$T/$num.xml"
is "lost answer: retry" "$(jget "$T/lost.out" 2 class)" retry
is "lost answer: unknown outcome" "$(jget "$T/lost.out" 2 unknown_outcome)" true
is "lost answer: exactly one deposit at Chorus" "$(deposits_of "$num")" 1
contains "the deposit used its own connection" "$T/lost.err" "fresh connection, not reused"
# the same with the unprotected pattern: libcurl re-sends on its own
invoice
fault lost2 '{"lose_response": {"route": "'$D'", "count": 1}}' raw-deposit-reuse "$S" "$T/$num.xml"
is "unprotected (reused connection): libcurl re-sent it and got an answer" \
	"$(jget "$T/lost2.out" 1 status)" 200
is "unprotected: Chorus received it twice (what chorus.c prevents)" "$(deposits_of "$num")" 2

no_secrets "no secret in any output or debug log" "$T/all"
done_testing
