/*
 * Images with the test library (luxsim, luxsim-asan, lux9-test.img: every
 * image the integration, simulation and boot tests run) check lock order
 * on every lock taken; the production image links notest.c instead.
 */
#include <lux/lockdep.h>

const bool lockdep_builtin = true;
