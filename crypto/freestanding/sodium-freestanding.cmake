# libsodium built freestanding for the bare-metal kernel, from Debian's
# source package, by build-libsodium.sh at build time (not configure time),
# cached in the build tree.  include() this once; it defines:
#
#   sodium_freestanding          IMPORTED STATIC (GLOBAL) library:
#                                ${SODIUM_FREESTANDING_LIBRARY}, include dirs
#                                ${SODIUM_FREESTANDING_INCLUDE_DIRS}
#   sodium_freestanding_build    custom target that runs the script; the
#                                imported target depends on it, so anything
#                                linking sodium_freestanding builds it first
#                                (compiles included: <sodium.h> exists then)
#
#   SODIUM_FREESTANDING_ROOT         ${CMAKE_BINARY_DIR}/sodium-freestanding
#   SODIUM_FREESTANDING_LIBRARY      .../install/lib/libsodium.a
#   SODIUM_FREESTANDING_INCLUDE_DIR  .../install/include (sodium.h)
#   SODIUM_FREESTANDING_INCLUDE_DIRS that, plus compat-include/ (limits.h,
#                                    stdlib.h, stdio.h, sys/types.h stand-ins
#                                    that sodium.h needs under -nostdinc)
#   SODIUM_FREESTANDING_LINK_TEST    link-test/run.sh; for CTest:
#     add_test(NAME sodium-freestanding-link
#              COMMAND ${SODIUM_FREESTANDING_LINK_TEST} ${CMAKE_BINARY_DIR})
#
# The archive leaves undefined exactly the libc symbols that
# arch-x86_64/libc/sodium_shim.c defines, plus lux_crypto_panic; the kernel
# must link that shim and its three lux_crypto_* hooks.

if(TARGET sodium_freestanding)
  return()
endif()

set(SODIUM_FREESTANDING_ROOT "${CMAKE_BINARY_DIR}/sodium-freestanding")
set(SODIUM_FREESTANDING_LIBRARY
  "${SODIUM_FREESTANDING_ROOT}/install/lib/libsodium.a")
set(SODIUM_FREESTANDING_INCLUDE_DIR "${SODIUM_FREESTANDING_ROOT}/install/include")
set(SODIUM_FREESTANDING_INCLUDE_DIRS "${SODIUM_FREESTANDING_INCLUDE_DIR}"
  "${CMAKE_CURRENT_LIST_DIR}/compat-include")
set(SODIUM_FREESTANDING_LINK_TEST "${CMAKE_CURRENT_LIST_DIR}/link-test/run.sh"
    CACHE INTERNAL "the link test, for tests/CMakeLists.txt")

# Imported targets may not name include directories that do not exist yet.
file(MAKE_DIRECTORY "${SODIUM_FREESTANDING_INCLUDE_DIR}")

# The script is idempotent and keyed on source version + compiler + flags,
# so re-running it (say, after a touch) costs ~30 ms and rebuilds nothing.
add_custom_command(
  OUTPUT "${SODIUM_FREESTANDING_LIBRARY}"
  BYPRODUCTS "${SODIUM_FREESTANDING_ROOT}/stamp"
  COMMAND "${CMAKE_COMMAND}" -E env "CC=${CMAKE_C_COMPILER}"
    sh "${CMAKE_CURRENT_LIST_DIR}/build-libsodium.sh" "${CMAKE_BINARY_DIR}"
  DEPENDS "${CMAKE_CURRENT_LIST_DIR}/build-libsodium.sh"
    "${CMAKE_CURRENT_LIST_DIR}/randombytes_unset.h"
  COMMENT "libsodium (freestanding, from Debian's source package)"
  VERBATIM)
add_custom_target(sodium_freestanding_build
  DEPENDS "${SODIUM_FREESTANDING_LIBRARY}")

add_library(sodium_freestanding STATIC IMPORTED GLOBAL)
set_target_properties(sodium_freestanding PROPERTIES
  IMPORTED_LOCATION "${SODIUM_FREESTANDING_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${SODIUM_FREESTANDING_INCLUDE_DIRS}")
add_dependencies(sodium_freestanding sodium_freestanding_build)
