/* blk, the shell's look at the block devices (blkcmd.c). */
#ifndef LUX_SHELL_BLKCMD_H
#define LUX_SHELL_BLKCMD_H

struct sh;

int sh_blk(struct sh *sh, int argc, char **argv);

#endif
