/*
 * The core's string and memory routines.  They carry a k prefix because
 * the hosted build links the core into a process that also has a libc: the
 * two must never resolve to each other.  Calls the compiler emits on its
 * own (memcpy, memset, ...) go to the arch's runtime: libc on hosted, the
 * kernel's shim on metal.
 */
#ifndef LUX_STRING_H
#define LUX_STRING_H

#include <lux/types.h>

/* As ISO C's memcpy, memmove, memset, memcmp, memchr, strlen, strnlen
 * (POSIX), strcmp, strncmp, strchr and strrchr. */
void *kmemcpy(void *dst, const void *src, size_t n);
void *kmemmove(void *dst, const void *src, size_t n);
void *kmemset(void *dst, int c, size_t n);
int kmemcmp(const void *a, const void *b, size_t n);
void *kmemchr(const void *p, int c, size_t n);
size_t kstrlen(const char *s);
size_t kstrnlen(const char *s, size_t max);
int kstrcmp(const char *a, const char *b);
int kstrncmp(const char *a, const char *b, size_t n);
char *kstrchr(const char *s, int c);
char *kstrrchr(const char *s, int c);
/* Copy with truncation; always terminates when size > 0; returns strlen(src). */
size_t kstrlcpy(char *dst, const char *src, size_t size);
size_t kstrlcat(char *dst, const char *src, size_t size);
/* Parse a decimal (or 0x hex) integer; returns 0 and sets *out, or -1. */
int kstrtoll(const char *s, long long *out);
void khex(char *out, const uint8_t *in, size_t n);	/* out: 2n+1 bytes */
int khexval(char c);				/* 0..15, or -1 */
/* Split line in place into at most max words at blanks (w[i] point into
 * it): how many, or -1 when there are more. */
int kwords(char *line, char **w, int max);
/* The lines of a ctl file's write: each '\n'-separated line of text[0,len)
 * is copied NUL-terminated into line (max bytes) and given to fn, stopping
 * at fn's first error.  E_NAMETOOLONG for a line that does not fit,
 * E_SYNTAX for a NUL inside one. */
int kforlines(const char *text, size_t len, char *line, size_t max,
              int (*fn)(char *line, void *arg), void *arg);
/* Why kunhex refused, in the order it checks. */
enum {
	KHEX_DIGIT = -1,	/* a character that is not a hex digit: its index in *at */
	KHEX_ODD = -2,		/* an odd number of digits */
	KHEX_TOOLONG = -3,	/* more than cap bytes */
};
/* The one hex decoder: n hex digits of s (either case) into out, at most
 * cap bytes.  n/2, or a KHEX_*; for KHEX_DIGIT, *at (when at is not null)
 * is the index of the first character that is not a digit.  Every check
 * comes before the first byte is written, so a refusal leaves out as it
 * was.  Callers word the error for their own user. */
long kunhex(const char *s, size_t n, uint8_t *out, size_t cap, size_t *at);

#endif
