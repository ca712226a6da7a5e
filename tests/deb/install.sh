#!/bin/sh
# The Debian package (scripts/deb) installed with `dpkg --root` into a throw-away root:
# this machine's /usr, /etc and /var seen through overlays whose writes go to a
# temporary folder, in a private mount namespace, so nothing of the machine changes.
# It runs `chorusgw --version` and `check-config` from it, checks the system user, the
# spool made by check-config --init, the conffile without secrets, a release binary
# without test hooks, then remove (spool and configuration kept) and purge
# (configuration gone, spool kept and said so). TAP.
#   tests/deb/install.sh chorusgw_VERSION_ARCH.deb      (as root; used by .ci/run)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
deb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if [ -z "${IN_PRIVATE_NS:-}" ]; then
	if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
		echo "1..0 # SKIP needs root and unshare(1) (dpkg --root, overlay mounts)"
		exit 0
	fi
	IN_PRIVATE_NS=1 exec unshare --mount --propagation private sh "$0" "$deb"
fi
. "$top_srcdir/tests/lib.sh"

R=$T/root
for d in usr etc var; do
	mkdir -p "$R/$d" "$T/upper/$d" "$T/work/$d"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/upper/$d,workdir=$T/work/$d" "$R/$d" ||
		{ echo "Bail out! cannot mount an overlay on $R/$d"; exit 1; }
	on_exit "umount -l '$R/$d'"
done
for l in bin sbin lib lib64; do
	[ -L "/$l" ] && ln -s "$(readlink "/$l")" "$R/$l"
done
mkdir -p "$R/dev" "$R/tmp" "$R/run" "$R/proc"
mount --bind /dev "$R/dev" && on_exit "umount -l '$R/dev'"
chmod 1777 "$R/tmp"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin LANG=C.UTF-8 "$@"; }

# ---- install ------------------------------------------------------------------------
dpkg --root="$R" -i "$deb" >"$T/install.out" 2>&1
rc=$?
is "dpkg --root -i: exit 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/install.out"
is "installed" "$(dpkg --root="$R" -s chorusgw 2>/dev/null | sed -n 's/^Status: //p')" \
	"install ok installed"
in_root chorusgw --version >"$T/version" 2>&1
is "chorusgw --version from the installed package" "$(cat "$T/version")" \
	"chorusgw $(sed -n 's/^AC_INIT(\[chorusgw\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")"
uid=$(in_root getent passwd chorusgw | cut -d: -f3)
check "a chorusgw system user" [ -n "$uid" ] && [ "$uid" -lt 1000 ]
for d in inbox outbox accepted rejected .chorusgw; do
	check "spool: $d/ made by check-config --init" [ -d "$R/var/spool/chorusgw/$d" ]
done
is "spool: owned by chorusgw" "$(stat -c %u "$R/var/spool/chorusgw/inbox")" "$uid"
is "the configuration is a conffile" \
	"$(dpkg-query --root="$R" -W -f='${Conffiles}' chorusgw | awk 'NF {print $1}')" \
	/etc/chorusgw/chorusgw.ini
if grep -Eq '^[^;]*(secret|password)[^=]*=' "$R/etc/chorusgw/chorusgw.ini"; then
	not_ok "the conffile holds no secret"
else ok "the conffile holds no secret"; fi
for u in chorusgw.service chorusgw-reconcile.service chorusgw-reconcile.timer; do
	check "unit $u" [ -f "$R/lib/systemd/system/$u" ]
done
for m in man8/chorusgw.8 man5/chorusgw.ini.5 man5/chorusgw-receipt.5 man5/chorusgw-erp.5 \
	man7/chorusgw-rules.7; do
	check "man page $m" [ -f "$R/usr/share/man/$m.gz" ]
done
if grep -q CHORUSGW_CRASH_AT "$R/usr/sbin/chorusgw"; then
	not_ok "a release binary: no test hooks"
else ok "a release binary: no test hooks"; fi

# ---- check-config, as the service runs it ---------------------------------------------
in_root setpriv --reuid=chorusgw --regid=chorusgw --init-groups \
	chorusgw check-config >"$T/cc1.out" 2>"$T/cc1.err"
is "check-config before the site values are set: configuration error" "$?" 3
contains "check-config names what is missing" "$T/cc1.err" "client_id"
printf 'client_id = chorusgw-deb-test\ntech_login = TECH_1_deb@cpro.fr\n' >"$T/site"
sed -i "/^\[chorus\]/r $T/site" "$R/etc/chorusgw/chorusgw.ini"
mkdir -p "$R/run/credentials"
printf 'deb-test-secret-5e1f\n' >"$R/run/credentials/client_secret"
printf 'Deb-Test-Pass-77!\n' >"$R/run/credentials/tech_password"
chmod 0700 "$R/run/credentials"
chown -R "$uid" "$R/run/credentials"
in_root setpriv --reuid=chorusgw --regid=chorusgw --init-groups \
	env CREDENTIALS_DIRECTORY=/run/credentials \
	chorusgw check-config >"$T/cc2.out" 2>"$T/cc2.err"
rc=$?
is "check-config with the site values and the credentials: exit 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/cc2.err"
contains "check-config: configuration OK" "$T/cc2.err" "configuration OK"
contains "check-config: the installed stylesheets" "$T/cc2.out" "/usr/share/chorusgw/xslt"
lacks "check-config shows no client secret" "$T/cc2.out" "deb-test-secret-5e1f"
lacks "check-config shows no password" "$T/cc2.out" "Deb-Test-Pass-77!"
in_root chorusgw validate /usr/share/chorusgw/xslt/examples/invoice-simple.xml \
	>"$T/validate.out" 2>&1
rc=$?
is "validate an example with the installed stylesheets and schemas" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/validate.out"

# ---- remove, purge ----------------------------------------------------------------------
touch "$R/var/spool/chorusgw/accepted/F1.xml.receipt"
dpkg --root="$R" -r chorusgw >"$T/remove.out" 2>&1
is "dpkg -r: exit 0" "$?" 0
check "remove: the binary is gone" [ ! -e "$R/usr/sbin/chorusgw" ]
check "remove: the configuration is kept" [ -f "$R/etc/chorusgw/chorusgw.ini" ]
check "remove: the spool is kept" [ -f "$R/var/spool/chorusgw/accepted/F1.xml.receipt" ]
dpkg --root="$R" -P chorusgw >"$T/purge.out" 2>&1
is "dpkg -P: exit 0" "$?" 0
check "purge: the configuration is gone" [ ! -e "$R/etc/chorusgw/chorusgw.ini" ]
check "purge: the spool is kept" [ -f "$R/var/spool/chorusgw/accepted/F1.xml.receipt" ]
contains "purge: says the spool is kept, and why" "$T/purge.out" \
	"/var/spool/chorusgw is kept: it holds the invoices sent"
done_testing
