#!/bin/sh
# The shipped units are valid for systemd (systemd-analyze verify) and keep their
# hardening (exposure level at most 2.0 of 10 in systemd-analyze security).
. "$top_srcdir/tests/lib.sh"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "1..0 # SKIP systemd-analyze is not installed (Debian package systemd)"
	exit 0
fi
# point ExecStart at the binary just built: verify checks that it exists
for u in chorusgw.service chorusgw-reconcile.service; do
	sed "s|^\(Exec[A-Za-z]*=\)[^ ]*/chorusgw |\1$CHORUSGW |" "$top_builddir/systemd/$u" >"$T/$u"
done
cp "$top_srcdir/systemd/chorusgw-reconcile.timer" "$T/"
systemd-analyze verify --man=no "$T/chorusgw.service" "$T/chorusgw-reconcile.service" \
	"$T/chorusgw-reconcile.timer" >"$T/verify" 2>&1
is "systemd-analyze verify: no complaint" "$?" 0
[ -s "$T/verify" ] && diag "$(cat "$T/verify")"
for u in chorusgw.service chorusgw-reconcile.service; do
	systemd-analyze security --offline=yes --threshold=20 "$T/$u" >"$T/sec" 2>&1
	is "$u: exposure level 2.0 or better" "$?" 0
	diag "$(tail -1 "$T/sec")"
	contains "$u: Type and user" "$T/$u" "User=chorusgw"
	contains "$u: secrets as credentials" "$T/$u" "LoadCredential=client_secret:"
done
contains "the daemon is Type=notify" "$T/chorusgw.service" "Type=notify"
contains "the daemon has a watchdog" "$T/chorusgw.service" "WatchdogSec="
contains "the timer runs nightly" "$T/chorusgw-reconcile.timer" "OnCalendar="
done_testing
