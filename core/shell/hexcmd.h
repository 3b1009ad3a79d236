/* hex and unhex, the shell's binary-safe pair (hexcmd.c). */
#ifndef LUX_SHELL_HEXCMD_H
#define LUX_SHELL_HEXCMD_H

struct sh;

int sh_unhex(struct sh *sh, int argc, char **argv);
int sh_hex(struct sh *sh, int argc, char **argv);

#endif
