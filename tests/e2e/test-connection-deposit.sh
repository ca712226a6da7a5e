#!/bin/sh
# test-connection --deposit: a test invoice of the configured supplier, deposited and
# followed to its end, says whether the chain works end to end; when Chorus Pro does
# not find the SIRETs, once again with the other scheme, to say which siret_scheme to
# set. Refused in production.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0 --lifecycle-step 600
emu_conf "$T/c.ini"
cat >>"$T/c.ini" <<EOC
[transform]
stylesheet_dir = $top_srcdir/xslt
EOC
BUYER=26330059200015

run_gw ok -c "$T/c.ini" test-connection --deposit "$BUYER"
is "the chain works: exit 0" "$rc" 0
contains "deposit: integrated, end to end, with the scheme in use" "$T/ok.out" \
	"integrated; the chain works end to end with siret_scheme 0009"
is "one test invoice deposited" \
	"$(emu GET /_emulator/deposits | "$EMU_PYTHON" -c 'import json,sys; print(sum(1 for d in json.load(sys.stdin) if (d["numeroFacture"] or "").startswith("CGWT")))')" 1

# the platform takes only Chorus Pro's native scheme
emu POST /_emulator/settings '{"siret_schemes": ["1"]}' >/dev/null
run_gw s1 -c "$T/c.ini" test-connection --deposit "$BUYER"
is "scheme 0009 not taken: exit 5" "$rc" 5
contains "says what happened" "$T/s1.out" \
	"Chorus Pro did not find the SIRETs written with scheme 0009"
contains "and which scheme to set" "$T/s1.out" "-> set [transform] siret_scheme = 1"

# the other way round
emu POST /_emulator/settings '{"siret_schemes": ["0009"]}' >/dev/null
sed 's/^\[transform\]$/&\nsiret_scheme = 1/' "$T/c.ini" >"$T/c1.ini"
chmod 600 "$T/c1.ini"
run_gw s2 -c "$T/c1.ini" test-connection --deposit "$BUYER"
is "scheme 1 not taken: exit 5" "$rc" 5
contains "set 0009" "$T/s2.out" "-> set [transform] siret_scheme = 0009"
emu POST /_emulator/settings '{"siret_schemes": ["0009", "1"]}' >/dev/null

# a buyer Chorus Pro does not know under either scheme: its reasons, not a scheme
run_gw nb -c "$T/c.ini" test-connection --deposit 21990999100016
is "unknown buyer: exit 5" "$rc" 5
contains "unknown buyer: Chorus Pro's words" "$T/nb.out" "L'identifiant destinataire"
lacks "unknown buyer: no scheme to set" "$T/nb.out" "set [transform] siret_scheme"

run_gw use -c "$T/c.ini" test-connection --deposit
is "--deposit without a buyer: usage error" "$rc" 2
sed 's/^\[chorus\]$/&\nmode = production/' "$T/c.ini" >"$T/prod.ini"
chmod 600 "$T/prod.ini"
run_gw prod -c "$T/prod.ini" test-connection --deposit "$BUYER"
is "production: refused" "$rc" 2
contains "production: says why" "$T/prod.err" "qualification only"
no_secrets "no secret in the output" "$T"/*.out "$T"/*.err
done_testing
