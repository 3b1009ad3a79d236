#!/bin/sh
# run.sh <build-root>
#
# Proves that the freestanding libsodium links with nothing but the
# kernel's shim (arch-x86_64/libc/sodium_shim.c) and computes the right
# answers:
#   1. builds (or reuses) <build-root>/sodium-freestanding via
#      build-libsodium.sh;
#   2. lists the archive's external undefined symbols and checks the shim
#      defines every one;
#   3. links the WHOLE archive (--whole-archive) with the shim the way the
#      kernel is linked -- -nostdlib -shared -Bsymbolic -z defs, with
#      GNU-EFI's elf_x86_64_efi.lds when installed -- and checks the only
#      dynamic relocations are R_X86_64_RELATIVE (all GNU-EFI applies);
#   4. links kat_main.c + shim + libsodium.a as a static Linux program with
#      no libc and runs it: known answers must all PASS;
#   5. runs it once more without randombytes_set_implementation(): it must
#      stop in lux_crypto_panic (exit 3), not reach /dev/urandom.
# Exits non-zero on any failure.  Output goes to <build-root>/sodium-link-test.

set -eu

die() { printf 'link-test: FAIL: %s\n' "$*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 <build-root>"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
"$here/../build-libsodium.sh" "$1"
broot=$(cd "$1" && pwd)
inst=$broot/sodium-freestanding/install
lib=$inst/lib/libsodium.a
out=$broot/sodium-link-test
mkdir -p "$out"

CC=${CC:-gcc}
cc_include=$("$CC" -print-file-name=include)
FLAGS="-std=c11 -O2 -ffreestanding -nostdinc -isystem $cc_include -fpic
-mno-red-zone -fno-stack-protector -fshort-wchar -fno-strict-aliasing
-Wall -Wextra -Werror"
INC="-I$inst/include -I$here/../compat-include -I$top/arch-x86_64/libc"

$CC $FLAGS -Wmissing-prototypes -Wstrict-prototypes \
    -c "$top/arch-x86_64/libc/sodium_shim.c" -o "$out/sodium_shim.o"
$CC $FLAGS $INC -c "$here/kat_main.c" -o "$out/kat_main.o"
$CC $FLAGS $INC -DKAT_UNSET -c "$here/kat_main.c" -o "$out/kat_unset.o"

# ---- 2. what libsodium needs from outside, and who provides it -----------
nm -u "$lib" | awk 'NF == 2 { print $2 }' | sort -u >"$out/undef"
nm --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u >"$out/def"
comm -23 "$out/undef" "$out/def" | grep -v -x -e _GLOBAL_OFFSET_TABLE_ \
    >"$out/needed" || true
nm --defined-only -g "$out/sodium_shim.o" | awk '{ print $3 }' | sort -u \
    >"$out/shim-defs"
echo "link-test: libsodium.a needs: $(tr '\n' ' ' <"$out/needed")"
missing=$(comm -23 "$out/needed" "$out/shim-defs" | grep -v -x lux_crypto_panic || true)
[ -z "$missing" ] || die "not provided by the shim: $missing"
extra=$(comm -13 "$out/needed" "$out/shim-defs" | grep -v -x memcmp || true)
[ -z "$extra" ] || die "the shim defines symbols libsodium no longer needs: $extra"
for bad in __stack_chk_fail __stack_chk_guard explicit_bzero memset_s \
    arc4random arc4random_buf getrandom getentropy open read close fcntl \
    mmap mprotect mlock sysconf getpid posix_memalign pthread_mutex_lock; do
	! grep -q -x "$bad" "$out/needed" || die "libsodium.a needs $bad"
done
! grep -q '_chk$' "$out/needed" || die "libsodium.a needs fortify (_chk) symbols"

# ---- 3. the kernel-style link of the whole archive -------------------------
lds=/usr/lib/elf_x86_64_efi.lds
T=
[ -f "$lds" ] && T="-Wl,-T,$lds"
$CC -nostdlib -shared -Wl,-Bsymbolic -Wl,-z,defs -Wl,-z,nocombreloc $T \
    -o "$out/kernel-like.so" "$out/kat_main.o" "$out/sodium_shim.o" \
    -Wl,--whole-archive "$lib" -Wl,--no-whole-archive ||
	die "kernel-style link (-nostdlib -shared -z defs) failed"
relocs=$(readelf -rW "$out/kernel-like.so" | awk '/^[0-9a-f]+ +[0-9a-f]+ R_X86_64_/ { print $3 }' |
    sort -u | grep -v -x R_X86_64_RELATIVE || true)
[ -z "$relocs" ] || die "kernel-style link has relocations GNU-EFI cannot apply: $relocs"
echo "link-test: kernel-style link of the whole archive: ok${T:+ (with $lds)}"

# ---- 4./5. run the known answers ------------------------------------------------
$CC -nostdlib -static -Wl,-z,defs -o "$out/kat" \
    "$out/kat_main.o" "$out/sodium_shim.o" "$lib"
$CC -nostdlib -static -Wl,-z,defs -o "$out/kat-unset" \
    "$out/kat_unset.o" "$out/sodium_shim.o" "$lib"
"$out/kat" || die "known answers (see above)"
set +e
msg=$("$out/kat-unset")
rc=$?
set -e
printf '%s\n' "$msg"
[ $rc -eq 3 ] && printf '%s' "$msg" | grep -q 'randombytes_set_implementation' ||
	die "sodium_init without a randombytes implementation did not panic (exit $rc)"
echo "PASS randombytes before randombytes_set_implementation() panics"
echo "link-test: all passed"
