#!/bin/sh
# chorusgw lookup SIREN|SIRET [ROUTING-CODE]: what the PA's Directory says, and whether
# the company receives electronic invoices (exit 0) or not (exit 4).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_pa_emulator
{
	printf '[spool]\ndir = %s/spool\n' "$T"
	pa_ini
} | write_private "$T/c.ini"
lk() { # NAME ARGS... : lookup, output in $T/NAME.out and .err, status in $rc
	_n=$1
	shift
	"$CHORUSGW" -c "$T/c.ini" lookup "$@" >"$T/$_n.out" 2>"$T/$_n.err"
	rc=$?
	cat "$T/$_n.out" "$T/$_n.err" >>"$T/all"
}

lk private "$PA_BUYER"
is "a private buyer that receives: exit 0" "$rc" 0
contains "... its name" "$T/private.out" "SIREN $PA_BUYER: NEGOCE DU RHONE SAS"
contains "... a private company" "$T/private.out" "PrivateVatRegistered (a private company)"
contains "... where it receives" "$T/private.out" \
	"receives electronic invoices: yes, at $PA_BUYER through a Plateforme Agréée"

lk public 26330059200015
is "a public buyer, by SIRET: exit 0" "$rc" 0
contains "... a public entity" "$T/public.out" "Public (a public entity"
contains "... its facility" "$T/public.out" "SIRET 26330059200015: CENTRE HOSPITALIER DE LA GIRONDE"
contains "... receives through the PPF" "$T/public.out" "through the PPF"

lk routing 11000201100044 SERV-RH-02
is "a routing code: exit 0" "$rc" 0
contains "... the routing code's requirement" "$T/routing.out" \
	"routing code SERV-RH-02: Ressources humaines, active, engagement number required"
contains "... the line of that routing code" "$T/routing.out" \
	"at 110002011_11000201100044_SERV-RH-02"

lk none "$PA_NOT_RECEIVING"
is "no directory line: exit 4" "$rc" 4
contains "... says it does not receive" "$T/none.out" "receives electronic invoices: no"
lk closed 867890121
is "a closed company with a disabled line: exit 4" "$rc" 4
contains "... says the line is disabled" "$T/closed.out" "its line 867890121 is Disabled"
lk upcoming 878901230
is "a line not yet active (Upcoming): exit 4" "$rc" 4
lk unknown 732829304
is "a valid SIREN the Directory does not know: exit 4" "$rc" 4
contains "... says so" "$T/unknown.out" "not in the Directory"

lk bad 123456789
is "a SIREN with a wrong Luhn key: usage error" "$rc" 2
lk noarg
is "no operand: usage error" "$rc" 2
lk routing-siren "$PA_BUYER" X1
is "a routing code with a SIREN: usage error" "$rc" 2

pa_emu POST /_emulator/faults '{"status": {"code": 503, "route": "/directory-service/"}}' >/dev/null
lk down "$PA_BUYER"
is "the Directory down: exit 5" "$rc" 5
contains "... says why" "$T/down.err" "unavailable (HTTP 503"
pa_emu POST /_emulator/faults '{}' >/dev/null

printf '[spool]\ndir = %s/spool\n' "$T" | write_private "$T/nopa.ini"
"$CHORUSGW" -c "$T/nopa.ini" lookup "$PA_BUYER" >"$T/nopa.out" 2>&1
is "no [pa] section: configuration error" "$?" 3
contains "... says so" "$T/nopa.out" "no [pa] section"
no_secrets "no secret in any output" "$T/all"
done_testing
