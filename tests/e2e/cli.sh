#!/bin/sh
# The command line: help, version, usage errors and their exit codes, per-command
# help, and commands that are not built yet refusing to pretend.
. "$top_srcdir/tests/lib.sh"

run_gw help --help
is "--help exits 0" "$rc" 0
contains "--help lists run" "$T/help.out" "  run "
contains "--help lists check-config" "$T/help.out" "  check-config "
contains "--help documents exit codes" "$T/help.out" "3 configuration error"

run_gw version --version
is "--version exits 0" "$rc" 0
contains "--version prints the version" "$T/version.out" "chorusgw "

run_gw none
is "no command: usage error 2" "$rc" 2
contains "no command: says so" "$T/none.err" "no command given"

run_gw bogus frobnicate
is "unknown command: 2" "$rc" 2
contains "unknown command named" "$T/bogus.err" "unknown command \"frobnicate\""

run_gw badopt --frob run
is "unknown global option: 2" "$rc" 2

run_gw cmdhelp queue --help
is "per-command --help exits 0" "$rc" 0
contains "queue --help shows its options" "$T/cmdhelp.out" "--json"

run_gw helpcmd help retry
is "help COMMAND exits 0" "$rc" 0
contains "help retry shows --force" "$T/helpcmd.out" "--force"

run_gw badcmdopt queue --frob
is "unknown command option: 2" "$rc" 2
contains "unknown command option named" "$T/badcmdopt.err" "unknown option --frob"

run_gw noids retry
is "retry without ids: 2" "$rc" 2
run_gw twofiles transform a b
is "transform with two files: 2" "$rc" 2
run_gw extra run extra
is "run with an operand: 2" "$rc" 2

run_gw noconf -c "$T/missing.ini" check-config
is "missing config: 3" "$rc" 3
contains "missing config: names the file" "$T/noconf.err" "$T/missing.ini: cannot read the configuration"

run_gw keys check-config --keys
is "check-config --keys exits 0" "$rc" 0
contains "--keys lists [spool] dir" "$T/keys.out" "spool	dir	path"
done_testing
