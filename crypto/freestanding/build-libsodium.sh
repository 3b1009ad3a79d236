#!/bin/sh
# build-libsodium.sh <build-root>
#
# Builds libsodium freestanding for the x86_64 UEFI kernel from Debian's
# source package, and caches the result under <build-root>/sodium-freestanding:
#
#   apt/        private apt state: sources.list with deb-src lines, lists,
#               cache, and the downloaded .dsc/.orig/.debian files
#   src/        the extracted, Debian-patched source tree (dpkg-source -x)
#   build/      objects, generated Makefile and version.h, build.log
#   install/    lib/libsodium.a and include/{sodium.h,sodium/}
#   stamp       what install/ was built from (source version, compiler,
#               flags, this recipe); a rerun with the same key does nothing
#
# The machine's apt configuration is never touched: deb-src entries exist
# only in apt/sources.list, passed to apt-get with -o Dir::Etc::SourceList.
#
# Why no ./configure: Debian's orig tarball for 1.0.18 is the git tag, with
# no generated configure script (Debian runs dh_autoreconf), and autotools
# are not a build dependency here.  Instead this script compiles exactly the
# file list of src/libsodium/Makefile.am for x86_64 with the configure
# results written out below by hand.  That is also what makes the build
# freestanding: every HAVE_* for an OS facility (mmap, mlock, mprotect,
# posix_memalign, getrandom, getentropy, explicit_bzero, memset_s,
# arc4random, nanosleep, getpid, pthreads) is left undefined, so libsodium
# compiles its portable fallback instead of calling the OS.
#
# Environment:
#   CC                      compiler (default gcc, as for the kernel)
#   LUX_SODIUM_DEB_VERSION  Debian version to fetch (default: the installed
#                           libsodium-dev's, so hosted and metal run the same
#                           code; else the newest in the deb-src index)
#   LUX_DEBIAN_MIRROR       default http://deb.debian.org/debian
#   LUX_DEBIAN_SECURITY     default http://deb.debian.org/debian-security
#   LUX_DEBIAN_SUITE        default bookworm

set -eu

me="libsodium-freestanding"
say() { printf '%s: %s\n' "$me" "$*"; }
die() { printf '%s: error: %s\n' "$me" "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 <build-root-dir>"
mkdir -p "$1" || die "cannot create $1"
broot=$(cd "$1" && pwd)
case $broot in *[[:space:]]*) die "build root must not contain whitespace: $broot" ;; esac
root=$broot/sodium-freestanding
here=$(cd "$(dirname "$0")" && pwd)
script=$here/$(basename "$0")
rbheader=$here/randombytes_unset.h

CC=${CC:-gcc}
mirror=${LUX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${LUX_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
suite=${LUX_DEBIAN_SUITE:-bookworm}

# ---- flags -----------------------------------------------------------------
# The kernel's flags (GNU-EFI application, linked -nostdlib into a PIC shared
# object, then objcopy'd to PE), plus what libsodium's configure would add:
# -fno-strict-overflow and -fvisibility=hidden.  -fbuiltin after
# -ffreestanding lets gcc inline fixed-size memcpy/memset (libsodium's
# LOAD64_LE etc. are 8-byte memcpy calls otherwise); gcc may still emit
# calls to memcpy/memmove/memset/memcmp, which the kernel's shim provides.
# -U_FORTIFY_SOURCE: no __*_chk symbols, whatever the compiler's defaults.
CFLAGS="-std=gnu11 -O2 -ffreestanding -fbuiltin -fpic -mno-red-zone \
-fno-stack-protector -fshort-wchar -fno-strict-aliasing -fno-strict-overflow \
-fvisibility=hidden -U_FORTIFY_SOURCE"
CFLAGS=$(echo $CFLAGS)
# What ./configure finds for x86_64 gcc, minus OS facilities (see above).
# HAVE_*INTRIN_H build the SSE2..AVX512F variants; which one runs is chosen
# by CPUID at sodium_init() (sodium/runtime.c), and AVX/AVX2/AVX512F are
# only chosen when CPUID reports OSXSAVE and XGETBV shows the OS enabled
# YMM/ZMM state -- the kernel leaves CR4.OSXSAVE clear, so metal stays on
# SSE2/SSSE3/SSE4.1 (and AES-NI/PCLMUL when present).
CPPFLAGS="-DCONFIGURED=1 -DNATIVE_LITTLE_ENDIAN=1 -DCPU_UNALIGNED_ACCESS=1 \
-DHAVE_TI_MODE=1 -DHAVE_AMD64_ASM=1 -DHAVE_AVX_ASM=1 -DHAVE_CPUID=1 \
-DHAVE_INLINE_ASM=1 -DHAVE_WEAK_SYMBOLS=1 -DHAVE_ATOMIC_OPS=1 \
-DHAVE_C_VARARRAYS=1 -DASM_HIDE_SYMBOL=.hidden \
-DHAVE_MMINTRIN_H=1 -DHAVE_EMMINTRIN_H=1 -DHAVE_PMMINTRIN_H=1 \
-DHAVE_TMMINTRIN_H=1 -DHAVE_SMMINTRIN_H=1 -DHAVE_AVXINTRIN_H=1 \
-DHAVE_AVX2INTRIN_H=1 -DHAVE_AVX512FINTRIN_H=1 -DHAVE_WMMINTRIN_H=1"
CPPFLAGS=$(echo $CPPFLAGS)
# randombytes.c only: no sysrandom/internal generator (see randombytes_unset.h)
RBFLAGS="-DRANDOMBYTES_CUSTOM_IMPLEMENTATION -include $rbheader"
F_SSE2="-msse2"
F_SSSE3="$F_SSE2 -mssse3"
F_SSE41="$F_SSSE3 -msse4.1"
F_AVX2="$F_SSE41 -mavx -mavx2"
F_AVX512F="$F_AVX2 -mavx512f"
F_AESNI="$F_SSSE3 -maes -mpclmul"

# The x86_64 source list of src/libsodium/Makefile.am (1.0.18) with
# HAVE_TI_MODE, HAVE_AMD64_ASM, HAVE_AVX_ASM, !MINIMAL, !EMSCRIPTEN.
# Group = the per-file SIMD flags of that Makefile.am's libsse2/libssse3/...
# convenience libraries.  Left out on purpose (checked below, so a source
# update that adds a file cannot be silently missed):
EXCLUDED="
randombytes/sysrandom/randombytes_sysrandom.c
randombytes/internal/randombytes_internal_random.c
crypto_stream/salsa20/ref/salsa20_ref.c
crypto_stream/salsa20/xmm6int/salsa20_xmm6int-sse2.c
crypto_scalarmult/curve25519/sandy2x/consts.S
crypto_scalarmult/curve25519/sandy2x/fe51_mul.S
crypto_scalarmult/curve25519/sandy2x/fe51_nsquare.S
crypto_scalarmult/curve25519/sandy2x/fe51_pack.S
crypto_scalarmult/curve25519/sandy2x/ladder.S
crypto_scalarmult/curve25519/sandy2x/ladder_base.S
"
# (sysrandom/internal: pruned, need getrandom or /dev/urandom; salsa20 ref
#  and xmm6int-sse2: replaced by the amd64 asm; sandy2x/*.S: #included by
#  sandy2x.S, not compiled on their own.)
SOURCES="
- crypto_aead/chacha20poly1305/sodium/aead_chacha20poly1305.c
- crypto_aead/xchacha20poly1305/sodium/aead_xchacha20poly1305.c
- crypto_auth/crypto_auth.c
- crypto_auth/hmacsha256/auth_hmacsha256.c
- crypto_auth/hmacsha512/auth_hmacsha512.c
- crypto_auth/hmacsha512256/auth_hmacsha512256.c
- crypto_box/crypto_box.c
- crypto_box/crypto_box_easy.c
- crypto_box/crypto_box_seal.c
- crypto_box/curve25519xsalsa20poly1305/box_curve25519xsalsa20poly1305.c
- crypto_core/ed25519/ref10/ed25519_ref10.c
- crypto_core/hchacha20/core_hchacha20.c
- crypto_core/hsalsa20/ref2/core_hsalsa20_ref2.c
- crypto_core/hsalsa20/core_hsalsa20.c
- crypto_core/salsa/ref/core_salsa_ref.c
- crypto_generichash/crypto_generichash.c
- crypto_generichash/blake2b/generichash_blake2.c
- crypto_generichash/blake2b/ref/blake2b-compress-ref.c
- crypto_generichash/blake2b/ref/blake2b-ref.c
- crypto_generichash/blake2b/ref/generichash_blake2b.c
- crypto_hash/crypto_hash.c
- crypto_hash/sha256/hash_sha256.c
- crypto_hash/sha256/cp/hash_sha256_cp.c
- crypto_hash/sha512/hash_sha512.c
- crypto_hash/sha512/cp/hash_sha512_cp.c
- crypto_kdf/blake2b/kdf_blake2b.c
- crypto_kdf/crypto_kdf.c
- crypto_kx/crypto_kx.c
- crypto_onetimeauth/crypto_onetimeauth.c
- crypto_onetimeauth/poly1305/onetimeauth_poly1305.c
- crypto_onetimeauth/poly1305/donna/poly1305_donna.c
- crypto_pwhash/argon2/argon2-core.c
- crypto_pwhash/argon2/argon2-encoding.c
- crypto_pwhash/argon2/argon2-fill-block-ref.c
- crypto_pwhash/argon2/argon2.c
- crypto_pwhash/argon2/blake2b-long.c
- crypto_pwhash/argon2/pwhash_argon2i.c
- crypto_pwhash/argon2/pwhash_argon2id.c
- crypto_pwhash/crypto_pwhash.c
- crypto_scalarmult/crypto_scalarmult.c
- crypto_scalarmult/curve25519/ref10/x25519_ref10.c
- crypto_scalarmult/curve25519/scalarmult_curve25519.c
- crypto_secretbox/crypto_secretbox.c
- crypto_secretbox/crypto_secretbox_easy.c
- crypto_secretbox/xsalsa20poly1305/secretbox_xsalsa20poly1305.c
- crypto_secretstream/xchacha20poly1305/secretstream_xchacha20poly1305.c
- crypto_shorthash/crypto_shorthash.c
- crypto_shorthash/siphash24/shorthash_siphash24.c
- crypto_shorthash/siphash24/ref/shorthash_siphash24_ref.c
- crypto_sign/crypto_sign.c
- crypto_sign/ed25519/sign_ed25519.c
- crypto_sign/ed25519/ref10/keypair.c
- crypto_sign/ed25519/ref10/open.c
- crypto_sign/ed25519/ref10/sign.c
- crypto_stream/chacha20/stream_chacha20.c
- crypto_stream/chacha20/ref/chacha20_ref.c
- crypto_stream/crypto_stream.c
- crypto_stream/salsa20/stream_salsa20.c
- crypto_stream/xsalsa20/stream_xsalsa20.c
- crypto_verify/sodium/verify.c
- sodium/codecs.c
- sodium/core.c
- sodium/runtime.c
- sodium/utils.c
- sodium/version.c
- crypto_stream/salsa20/xmm6/salsa20_xmm6-asm.S
- crypto_stream/salsa20/xmm6/salsa20_xmm6.c
- crypto_scalarmult/curve25519/sandy2x/curve25519_sandy2x.c
- crypto_scalarmult/curve25519/sandy2x/fe51_invert.c
- crypto_scalarmult/curve25519/sandy2x/fe_frombytes_sandy2x.c
- crypto_scalarmult/curve25519/sandy2x/sandy2x.S
- crypto_box/curve25519xchacha20poly1305/box_curve25519xchacha20poly1305.c
- crypto_box/curve25519xchacha20poly1305/box_seal_curve25519xchacha20poly1305.c
- crypto_core/ed25519/core_ed25519.c
- crypto_core/ed25519/core_ristretto255.c
- crypto_pwhash/scryptsalsa208sha256/crypto_scrypt-common.c
- crypto_pwhash/scryptsalsa208sha256/scrypt_platform.c
- crypto_pwhash/scryptsalsa208sha256/pbkdf2-sha256.c
- crypto_pwhash/scryptsalsa208sha256/pwhash_scryptsalsa208sha256.c
- crypto_pwhash/scryptsalsa208sha256/nosse/pwhash_scryptsalsa208sha256_nosse.c
- crypto_scalarmult/ed25519/ref10/scalarmult_ed25519_ref10.c
- crypto_scalarmult/ristretto255/ref10/scalarmult_ristretto255_ref10.c
- crypto_secretbox/xchacha20poly1305/secretbox_xchacha20poly1305.c
- crypto_shorthash/siphash24/shorthash_siphashx24.c
- crypto_shorthash/siphash24/ref/shorthash_siphashx24_ref.c
- crypto_sign/ed25519/ref10/obsolete.c
- crypto_stream/salsa2012/ref/stream_salsa2012_ref.c
- crypto_stream/salsa2012/stream_salsa2012.c
- crypto_stream/salsa208/ref/stream_salsa208_ref.c
- crypto_stream/salsa208/stream_salsa208.c
- crypto_stream/xchacha20/stream_xchacha20.c
rb randombytes/randombytes.c
aesni crypto_aead/aes256gcm/aesni/aead_aes256gcm_aesni.c
sse2 crypto_onetimeauth/poly1305/sse2/poly1305_sse2.c
sse2 crypto_pwhash/scryptsalsa208sha256/sse/pwhash_scryptsalsa208sha256_sse.c
ssse3 crypto_generichash/blake2b/ref/blake2b-compress-ssse3.c
ssse3 crypto_pwhash/argon2/argon2-fill-block-ssse3.c
ssse3 crypto_stream/chacha20/dolbeau/chacha20_dolbeau-ssse3.c
sse41 crypto_generichash/blake2b/ref/blake2b-compress-sse41.c
avx2 crypto_generichash/blake2b/ref/blake2b-compress-avx2.c
avx2 crypto_pwhash/argon2/argon2-fill-block-avx2.c
avx2 crypto_stream/chacha20/dolbeau/chacha20_dolbeau-avx2.c
avx2 crypto_stream/salsa20/xmm6int/salsa20_xmm6int-avx2.c
avx512f crypto_pwhash/argon2/argon2-fill-block-avx512f.c
"

# ---- which source ------------------------------------------------------------
want=${LUX_SODIUM_DEB_VERSION:-}
if [ -z "$want" ]; then
	want=$(dpkg-query -W -f='${Version}' libsodium-dev 2>/dev/null || true)
fi
have=
[ -f "$root/src/.lux-deb-version" ] && have=$(cat "$root/src/.lux-deb-version")

# ---- fast path -----------------------------------------------------------------
ccpath=$(command -v "$CC" 2>/dev/null) || die "compiler '$CC' not found"
ccpath=$(readlink -f "$ccpath")	# cc, gcc, gcc-12: one compiler, one key
key_of() {	# $1 = Debian source version
	printf 'source=libsodium %s\ncc=%s %s\ncflags=%s\ncppflags=%s\nrecipe=%s\n' \
	    "$1" "$ccpath" "$("$CC" -dumpfullversion -dumpversion 2>/dev/null | head -1)" \
	    "$CFLAGS" "$CPPFLAGS" \
	    "$(cat "$script" "$rbheader" | sha256sum | cut -c1-16)"
}
lib=$root/install/lib/libsodium.a
if [ -n "$have" ] && { [ -z "$want" ] || [ "$want" = "$have" ]; } &&
   [ -f "$root/stamp" ] && [ -f "$lib" ] &&
   [ "$(cat "$root/stamp")" = "$(key_of "$have")" ]; then
	# keep make/ninja from re-running us when only our mtime moved
	if [ -n "$(find "$script" "$rbheader" -newer "$lib")" ]; then
		touch "$lib"
	fi
	say "cached ($have)"
	exit 0
fi

# ---- fetch (apt-get source through a private apt configuration) ----------------
fetch() {
	apt=$root/apt
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	signed=
	[ -f "$keyring" ] && signed="[signed-by=$keyring] "
	cat >"$apt/sources.list" <<EOF
# Private to the Lux9 build: deb-src only, never part of /etc/apt.
deb-src ${signed}$mirror $suite main
deb-src ${signed}$mirror $suite-updates main
deb-src ${signed}$security $suite-security main
EOF
	set -- -o "Dir::Etc::SourceList=$apt/sources.list" \
	    -o Dir::Etc::SourceParts=/dev/null \
	    -o "Dir::State::Lists=$apt/lists" \
	    -o "Dir::Cache=$apt/cache" \
	    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
	    -o APT::Get::List-Cleanup=false -q
	# as root apt drops to _apt for downloads, which cannot write our dirs
	[ "$(id -u)" -eq 0 ] && set -- "$@" -o APT::Sandbox::User=root
	command -v dpkg-source >/dev/null ||
		die "dpkg-source not found (apt-get install dpkg-dev)"
	log=$apt/apt.log
	say "fetching source (apt-get source)..."
	if ! apt-get "$@" update >"$log" 2>&1 ||
	   grep -q '^\(W\|E\): Failed to fetch' "$log"; then
		tail -n 5 "$log" >&2
		die "apt-get update with the private deb-src list failed; fetching Debian's libsodium source needs the Debian mirror ($mirror) reachable (log: $log)"
	fi
	pkg=libsodium
	[ -n "$want" ] && pkg="libsodium=$want"
	rm -rf "$apt/dl" && mkdir -p "$apt/dl"
	if ! (cd "$apt/dl" && apt-get "$@" source "$pkg") >>"$log" 2>&1; then
		tail -n 5 "$log" >&2
		die "apt-get source $pkg failed; it needs the Debian mirror ($mirror) and that version in its deb-src index (log: $log)"
	fi
	dir=$(find "$apt/dl" -mindepth 1 -maxdepth 1 -type d -name 'libsodium-*' | head -1)
	[ -n "$dir" ] && [ -f "$dir/debian/changelog" ] ||
		die "apt-get source left no extracted tree in $apt/dl"
	got=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$dir/debian/changelog")
	[ -z "$want" ] || [ "$got" = "$want" ] ||
		die "asked apt for libsodium $want, got $got"
	echo "$got" >"$dir/.lux-deb-version"
	rm -rf "$root/src"
	mv "$dir" "$root/src"
	have=$got
}
mkdir -p "$root"
if [ -z "$have" ] || { [ -n "$want" ] && [ "$want" != "$have" ]; }; then
	fetch
fi

src=$root/src/src/libsodium
upstream=$(sed -n 's/^AC_INIT(\[libsodium\],\[\([^]]*\)\].*/\1/p' "$root/src/configure.ac")
[ "$upstream" = 1.0.18 ] ||
	die "source list is for libsodium 1.0.18, got '$upstream'; review Makefile.am and update this script"
lvmaj=$(sed -n 's/^SODIUM_LIBRARY_VERSION_MAJOR=//p' "$root/src/configure.ac")
lvmin=$(sed -n 's/^SODIUM_LIBRARY_VERSION_MINOR=//p' "$root/src/configure.ac")

# Every .c/.S that Makefile.am names must be built or excluded above.
known=$( (echo "$SOURCES" | awk 'NF==2 {print $2}'; echo "$EXCLUDED") | sort -u)
for f in $(grep -oE '[A-Za-z0-9_./-]+\.[cS]\b' "$src/Makefile.am" | sort -u); do
	echo "$known" | grep -qxF "$f" ||
		die "$f (in $src/Makefile.am) is neither built nor excluded by this script"
done

# ---- configure (generate version.h and a Makefile) -----------------------------
say "configuring ($have, $CC)"
bld=$root/build
rm -rf "$bld" "$root/stamp"
mkdir -p "$bld/include/sodium"
sed -e "s/@VERSION@/$upstream/" \
    -e "s/@SODIUM_LIBRARY_VERSION_MAJOR@/$lvmaj/" \
    -e "s/@SODIUM_LIBRARY_VERSION_MINOR@/$lvmin/" \
    -e "s/@SODIUM_LIBRARY_MINIMAL_DEF@//" \
    "$src/include/sodium/version.h.in" >"$bld/include/sodium/version.h"
{
	echo "CC = $CC"
	# reproducible: assert() messages name files relative to the source
	echo "CFLAGS = $CFLAGS -ffile-prefix-map=$root/src/="
	echo "CPPFLAGS = $CPPFLAGS -I$src/include/sodium -I$bld/include/sodium"
	echo "SRC = $src"
	echo "all: libsodium.a"
	echo "$SOURCES" | while read -r group f; do
		[ -n "$f" ] || continue
		case $group in
		-) extra= ;;
		rb) extra=$RBFLAGS ;;
		sse2) extra=$F_SSE2 ;;
		ssse3) extra=$F_SSSE3 ;;
		sse41) extra=$F_SSE41 ;;
		avx2) extra=$F_AVX2 ;;
		avx512f) extra=$F_AVX512F ;;
		aesni) extra=$F_AESNI ;;
		*) die "bad group $group" ;;
		esac
		o=obj/${f%.*}.o
		echo "OBJS += $o"
		echo "$o: \$(SRC)/$f"
		echo "	@mkdir -p \$(@D)"
		echo "	\$(CC) \$(CFLAGS) \$(CPPFLAGS) $extra -c \$< -o \$@"
	done
	echo 'libsodium.a: $(OBJS)'
	echo '	rm -f $@'
	echo '	ar rcsD $@ $(OBJS)'
} >"$bld/Makefile"

# ---- build ----------------------------------------------------------------------
say "building (about 10 s)"
jobs=$(nproc 2>/dev/null || echo 2)
if ! make -C "$bld" -j"$jobs" >"$bld/build.log" 2>&1; then
	grep -m 20 -E 'error|Error' "$bld/build.log" >&2 || tail -n 20 "$bld/build.log" >&2
	die "build failed (log: $bld/build.log)"
fi
# libsodium's internals have global names like initialize, finalize,
# validate_inputs, free_region (argon2) or ge25519_* that the kernel could
# also define.  Everything outside the public prefixes gets lux_sodium_.
nm -g --defined-only "$bld/libsodium.a" | awk 'NF == 3 { print $3 }' | sort -u |
    grep -v -E '^(crypto_|sodium_|randombytes|_sodium_|_crypto_)' |
    awk '{ print $1, "lux_sodium_" $1 }' >"$bld/rename.map"
if [ -s "$bld/rename.map" ]; then
	objcopy -D --redefine-syms="$bld/rename.map" "$bld/libsodium.a" &&
	    ranlib -D "$bld/libsodium.a" || die "objcopy --redefine-syms failed"
fi

# ---- install --------------------------------------------------------------------
inst=$root/install
rm -rf "$inst.new"
mkdir -p "$inst.new/lib" "$inst.new/include/sodium"
cp "$bld/libsodium.a" "$inst.new/lib/"
cp "$src/include/sodium.h" "$inst.new/include/"
for h in "$src"/include/sodium/*.h "$bld/include/sodium/version.h"; do
	cp "$h" "$inst.new/include/sodium/"
done
rm -rf "$inst"
mv "$inst.new" "$inst"
key_of "$have" >"$root/stamp"
say "installed $inst/lib/libsodium.a"
