/*
 * The audit ring: a bounded, append-only record of what the kernel
 * refused and why (borrow violations, exit-time clean-ups), read as text
 * through /dev/audit.  A record says who (pid and name), what (the
 * operation), which object, and the rule:
 *   <time-ns> proc 12 (name) borrow-exclusive obj 7 (exchange 256 pages): refused: ...
 * Memory is fixed: AUDIT_RING records; when the ring wraps the oldest
 * are overwritten, counted, and the text says so on its first line.
 * Safe from any context: appending takes upcalls off for a few stores.
 */
#ifndef LUX_AUDIT_H
#define LUX_AUDIT_H

#include <lux/types.h>

#define AUDIT_RING 128

struct proc;

/* Append a record.  who may be 0 (the kernel).  obj is the object's slot,
 * objdesc what it is ("exchange 256 pages"); the rule is printf-style. */
void audit_log(const struct proc *who, const char *op, uint32_t obj, const char *objdesc,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The ring as text (oldest first) into buf; returns the full length, like
 * ksnprintf, so a caller can size a buffer. */
size_t audit_format(char *buf, size_t size);
/* Read the text at offset off (the file's read). */
long audit_read(void *buf, size_t n, uint64_t off);
/* A write to /dev/audit: "strict" or "lenient" (borrow violations panic
 * or not); anything else is E_INVAL. */
long audit_write(const void *buf, size_t n);

uint64_t audit_total(void);	/* records ever appended */
uint64_t audit_lost(void);	/* of those, overwritten */
/* Test hook: forget every record. */
void audit_reset(void);

#endif
