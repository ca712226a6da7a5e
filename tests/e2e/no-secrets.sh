#!/bin/sh
# Secrets never reach the output or the log, whatever the command and verbosity.
. "$top_srcdir/tests/lib.sh"

printf 'zz-client-secret-zz\n' | write_private "$T/cs"
write_private "$T/c.ini" <<EOC
[spool]
dir = $T/spool
[chorus]
client_id = app
client_secret_file = $T/cs
tech_login = TECH_1_x@cpro.fr
tech_password = zz-tech-password-zz
[supplier.73282932000074]
tech_login = TECH_1_y@cpro.fr
tech_password = zz-supplier-password-zz
EOC
for cmd in "check-config" "-v check-config" "check-config --keys"; do
	# shellcheck disable=SC2086
	"$CHORUSGW" -c "$T/c.ini" $cmd >"$T/out" 2>&1
	for s in zz-client-secret-zz zz-tech-password-zz zz-supplier-password-zz; do
		lacks "$cmd: no $s" "$T/out" "$s"
	done
done
"$CHORUSGW" -c "$T/c.ini" check-config >"$T/out" 2>&1
contains "supplier section printed" "$T/out" "[supplier.73282932000074]"
done_testing
