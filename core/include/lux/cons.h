/*
 * The console: output straight to the arch, input through a line
 * discipline.  On a raw console (a serial line) the core echoes and edits
 * (backspace, ^U, CR = newline, and ^D as a terminal has it: at the start
 * of a line it is end of input, after some text it hands that text over
 * without a newline);
 * on a cooked one (a Linux tty, a pipe) lines arrive ready.
 */
#ifndef LUX_CONS_H
#define LUX_CONS_H

#include <lux/types.h>

void cons_init(bool raw);
void cons_write(const char *buf, size_t n);
/* Read at most one line (up to n bytes, newline included); sleeps until a
 * line or end of input is there.  Returns 0 at end of input, E_INTR if
 * the proc was killed while waiting. */
long cons_read_line(char *buf, size_t n);
/* Bytes of input dropped because the buffer was full (reported once). */
size_t cons_dropped(void);

#endif
