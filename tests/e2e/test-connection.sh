#!/bin/sh
# chorusgw test-connection: one line per step, and for each wrong set-up the step to
# check, in the operator's words, with exit status 5. No secret in any output, even
# with -v. check-config needs no network.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0
tc() { # NAME CONF : run test-connection -v, output in $T/NAME.out (+ .err), status in $rc
	"$CHORUSGW" -v -c "$2" test-connection >"$T/$1.out" 2>"$T/$1.err"
	rc=$?
	cat "$T/$1.out" "$T/$1.err" >>"$T/all"
}
with_supplier() { # FILE : add a [supplier] section for the seeded supplier
	printf '[supplier.%s]\niban = FR7630006000011234567890189\n' "$EMU_SUPPLIER" >>"$1"
}

# ---- all good ----
emu_conf "$T/good.ini"
with_supplier "$T/good.ini"
tc good "$T/good.ini"
is "good set-up: exit 0" "$rc" 0
for step in "PISTE token" health-check Factures Transverses Structures; do
	if grep -q "^ok    $step " "$T/good.out"; then ok "good set-up: ok $step"; else
		not_ok "good set-up: ok $step"
		diag "$(cat "$T/good.out")"
	fi
done
contains "good: the account's structures" "$T/good.out" "acts for 43215678400014, 43215678400030"
contains "good: the supplier structure found" "$T/good.out" \
	"rechercher SIRET 43215678400014: ATELIERS DURAND SARL (ACTIVE)"
contains "good: the password's expiry date" "$T/good.out" \
	"technical account password expires 2027-06-30"
contains "good: summary" "$T/good.out" "all 5 checks passed"
# a timing on each line
check "good: each step is timed" grep -qE '^ok    Factures +[0-9]+ms  ' "$T/good.out"

# a [supplier.SIRET] with its own technical account is checked as well
emu_conf "$T/two.ini"
printf '[supplier.51289034400025]\ntech_login = TECH_1_martin@cpro.fr\ntech_password = Martin-Tech-2026!\n' \
	>>"$T/two.ini"
tc two "$T/two.ini"
is "second account: exit 0" "$rc" 0
contains "second account: its own step" "$T/two.out" \
	"[supplier.51289034400025] TECH_1_martin@cpro.fr acts for 51289034400025"
contains "second account: the Structures step uses a SIRET of the [chorus] account" "$T/two.out" \
	"rechercher SIRET 43215678400014"
NO_SECRETS_EXTRA='Martin-Tech-2026! VEVDSF8xX21hcnRpbkBjcHJvLmZyOk1hcnRpbi1UZWNoLTIwMjYh'
no_secrets "second account: no secret of it either" "$T/two.out" "$T/two.err"
NO_SECRETS_EXTRA=

# ---- wrong client secret ----
emu_conf "$T/c1.ini" "$EMU_CLIENT" wrong-client-secret
tc secret "$T/c1.ini"
is "bad client secret: exit 5" "$rc" 5
contains "bad client secret: token step fails" "$T/secret.out" "FAIL  PISTE token"
contains "bad client secret: invalid_client" "$T/secret.out" "invalid_client"
contains "bad client secret: check client_id and client_secret" "$T/secret.out" \
	"check [chorus] client_id ($EMU_CLIENT) and client_secret"
contains "bad client secret: the rest is skipped" "$T/secret.out" "skip  Factures"
lacks "bad client secret: not printed" "$T/secret.out" wrong-client-secret

# ---- wrong technical password ----
emu_conf "$T/c2.ini" "$EMU_CLIENT" "$EMU_SECRET" "$EMU_LOGIN" wrong-tech-password
with_supplier "$T/c2.ini"
tc password "$T/c2.ini"
is "bad technical password: exit 5" "$rc" 5
contains "bad technical password: token ok" "$T/password.out" "ok    PISTE token"
contains "bad technical password: names the account" "$T/password.out" \
	"Chorus Pro refused the technical account $EMU_LOGIN (HTTP 401: login or password incorrects)"
contains "bad technical password: the 14-month expiry" "$T/password.out" \
	"its password expires every 14 months"
contains "bad technical password: told once" "$T/password.out" "-> the same as above"
lacks "bad technical password: no token refresh for an account error" "$T/password.err" \
	"refused the access token"
lacks "bad technical password: not printed" "$T/password.out" wrong-tech-password

# ---- API not subscribed (CGU not accepted) ----
emu_conf "$T/c3.ini" chorusgw-sans-structures piste-partial-secret-77c1
with_supplier "$T/c3.ini"
tc cgu "$T/c3.ini"
is "unsubscribed API: exit 5" "$rc" 5
contains "unsubscribed API: Factures still ok" "$T/cgu.out" "ok    Factures"
contains "unsubscribed API: Structures fails" "$T/cgu.out" \
	"FAIL  Structures"
contains "unsubscribed API: names it" "$T/cgu.out" "Chorus Pro Structures API (HTTP 403"
contains "unsubscribed API: accept the CGU on PISTE" "$T/cgu.out" \
	"subscribe your PISTE application to the Structures API: in PISTE, accept the CGU"
contains "unsubscribed API: summary" "$T/cgu.out" "1 of 5 checks failed"

# ---- unreachable host ----
port=$("$EMU_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed "s/127\.0\.0\.1:$EMU_PORT/127.0.0.1:$port/" "$T/good.ini" >"$T/c4.ini"
chmod 600 "$T/c4.ini"
tc unreach "$T/c4.ini"
is "unreachable host: exit 5" "$rc" 5
contains "unreachable host: cannot connect" "$T/unreach.out" "cannot connect to 127.0.0.1:$port"
contains "unreachable host: firewall, proxy" "$T/unreach.out" "(firewall, outgoing proxy"

# ---- wrong CA ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" \
	-subj "/CN=another CA" -days 2 -out "$T/other.pem" >/dev/null 2>&1
sed "s#^ca_file = .*#ca_file = $T/other.pem#" "$T/good.ini" >"$T/c5.ini"
chmod 600 "$T/c5.ini"
tc ca "$T/c5.ini"
is "wrong CA: exit 5" "$rc" 5
contains "wrong CA: not trusted" "$T/ca.out" "the TLS certificate of 127.0.0.1:$EMU_PORT is not trusted"
contains "wrong CA: check ca_file" "$T/ca.out" "check [chorus] ca_file"

# ---- Chorus Pro down ----
emu POST /_emulator/faults '{"status": {"code": 503, "route": "/cpro/"}}' >/dev/null
tc down "$T/good.ini"
emu POST /_emulator/faults '{}' >/dev/null
is "Chorus down: exit 5" "$rc" 5
contains "Chorus down: HTTP 503" "$T/down.out" "Chorus Pro is unavailable (HTTP 503 Service Unavailable)"
contains "Chorus down: maintenance" "$T/down.out" "down or in maintenance"

# ---- qualification vs production ----
# PISTE addresses, but every request goes to a closed loopback port posing as the proxy:
# nothing leaves the machine, not even a DNS query.
emu_conf "$T/c6.ini"
sed -e 's#^token_url = .*#token_url = https://sandbox-oauth.piste.gouv.fr/api/oauth/token#' \
	-e 's#^api_url = .*#api_url = https://api.piste.gouv.fr#' -e '/^ca_file/d' "$T/c6.ini" >"$T/c7.ini"
sed -e 's#^api_url = .*#api_url = https://sandbox-api.piste.gouv.fr#' \
	-e 's#^\[chorus\]#&\nmode = production#' "$T/c7.ini" >"$T/c8.ini"
chmod 600 "$T/c7.ini" "$T/c8.ini"
https_proxy=http://127.0.0.1:$port "$CHORUSGW" -c "$T/c7.ini" test-connection >"$T/mix.out" 2>&1
is "mixed environments: exit 5" "$?" 5
contains "mixed environments: said before any request" "$T/mix.out" \
	"token_url and api_url are not of the same PISTE environment"
https_proxy=http://127.0.0.1:$port "$CHORUSGW" -c "$T/c8.ini" test-connection >"$T/mode.out" 2>&1
contains "production mode with sandbox URLs: said" "$T/mode.out" \
	"[chorus] mode = production but the URLs are those of the sandbox (qualification)"
# --init creates the spool the configuration names, so that the check passes
https_proxy=http://127.0.0.1:$port "$CHORUSGW" -c "$T/c7.ini" check-config --init >"$T/cc.out" 2>&1
is "check-config needs no network" "$?" 0
cat "$T/mix.out" "$T/mode.out" "$T/cc.out" >>"$T/all"

# ---- a configuration error is exit 3 ----
printf '[chorus]\nmode = staging\n' | write_private "$T/bad.ini"
"$CHORUSGW" -c "$T/bad.ini" test-connection >"$T/bad.out" 2>&1
is "configuration error: exit 3" "$?" 3

# ---- the Plateforme Agréée, beside Chorus Pro or alone ----
start_pa_emulator
emu_conf "$T/both.ini"
with_supplier "$T/both.ini"
pa_ini >>"$T/both.ini"
tc both "$T/both.ini"
is "Chorus Pro and a PA: exit 0" "$rc" 0
for step in "PISTE token" Structures "PA token" "PA Flow" "PA Directory" "PA look-up" \
	"PA search"; do
	if grep -q "^ok    $step " "$T/both.out"; then ok "both: ok $step"; else
		not_ok "both: ok $step"
		diag "$(cat "$T/both.out")"
	fi
done
contains "both: the look-up of our own company" "$T/both.out" \
	"SIREN 432156784: ATELIERS DURAND SARL (PrivateVatRegistered); receives through a PA"
contains "both: summary" "$T/both.out" "all 10 checks passed"
pa_only() { # FILE [extra INI lines on stdin]
	{
		printf '[spool]\ndir = %s/spool\n' "$T"
		printf '[supplier.%s]\niban = FR7630006000011234567890189\n' "$PA_SELLER_SIRET"
		pa_ini
		cat
	} | write_private "$1"
}
pa_only "$T/pa.ini" </dev/null
tc pa "$T/pa.ini"
is "the PA only (no [chorus] section): exit 0" "$rc" 0
lacks "PA only: no Chorus Pro step" "$T/pa.out" "PISTE"
contains "PA only: summary" "$T/pa.out" "all 5 checks passed"
pa_only "$T/pa2.ini" </dev/null
sed -i "s/^client_secret = .*/client_secret = wrong-pa-secret/" "$T/pa2.ini"
tc pa2 "$T/pa2.ini"
is "wrong PA secret: exit 5" "$rc" 5
contains "wrong PA secret: the token step fails" "$T/pa2.out" "FAIL  PA token"
contains "wrong PA secret: what to check" "$T/pa2.out" \
	"check [pa] client_id ($PA_CLIENT) and client_secret"
contains "wrong PA secret: the rest is skipped" "$T/pa2.out" "skip  PA search"
pa_only "$T/pa3.ini" <<EOC
scope = no.such.scope
EOC
tc pa3 "$T/pa3.ini"
contains "a scope the PA does not grant: said" "$T/pa3.out" "check [pa] scope"
pa_emu POST /_emulator/faults '{"status": {"code": 503, "route": "/directory-service/"}}' >/dev/null
tc pa4 "$T/pa.ini"
is "the Directory down: exit 5" "$rc" 5
contains "the Directory down: its step fails" "$T/pa4.out" "FAIL  PA Directory"
contains "the Directory down: the Flow Service still ok" "$T/pa4.out" "ok    PA Flow"
pa_emu POST /_emulator/faults '{}' >/dev/null

NO_SECRETS_EXTRA=wrong-pa-secret no_secrets "no secret in any output, with -v" "$T/all"
done_testing
