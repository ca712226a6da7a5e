#!/bin/sh
# Every key of the configuration table is documented in chorusgw.ini(5), and the man
# page documents no key the table does not know.
. "$top_srcdir/tests/lib.sh"

# the page as installed: install paths substituted, like the defaults printed
man5="$top_builddir/man/chorusgw.ini.5"
"$CHORUSGW" check-config --keys >"$T/keys" 2>&1
is "check-config --keys runs" "$?" 0

# The man page lists keys as ".It Cm key" items under a ".Ss [section]" heading.
awk '/^\.Ss /{ sec=$0; sub(/^\.Ss +/, "", sec); gsub(/[\[\]"]/, "", sec) }
     /^\.It Cm /{ print sec "\t" $3 }' "$man5" | sort -u >"$T/documented"
cut -f1,2 "$T/keys" | sort -u >"$T/known"

while IFS='	' read -r sec key; do
	if grep -qx "$sec	$key" "$T/documented"; then ok "[$sec] $key is documented"
	else not_ok "[$sec] $key is documented in chorusgw.ini(5)"; fi
done <"$T/known"

while IFS='	' read -r sec key; do
	if grep -qx "$sec	$key" "$T/known"; then :
	else not_ok "chorusgw.ini(5) documents [$sec] $key, which the program does not know"; fi
done <"$T/documented"

# the defaults in the man page are the program's
while IFS='	' read -r sec key type def help; do
	case $def in -|'""') continue ;; esac
	if awk -v s="$sec" -v k="$key" -v d="$def" '
		/^\.Ss /{ sec=$0; sub(/^\.Ss +/, "", sec); gsub(/[\[\]"]/, "", sec) }
		/^\.It Cm /{ cur = (sec == s && $3 == k) }
		cur && /^Default:/ && index($0, d) { found=1 }
		END { exit !found }' "$man5"; then ok "[$sec] $key default $def matches"
	else not_ok "[$sec] $key: chorusgw.ini(5) should say Default: $def"; fi
done <"$T/keys"
done_testing
