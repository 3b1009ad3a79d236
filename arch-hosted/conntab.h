/*
 * The connection table (conntab.c): ids for conn.c's connections, grown
 * on demand, bounded by the open files limit.  Not part of any contract.
 */
#ifndef LUX_HOSTED_CONNTAB_H
#define LUX_HOSTED_CONNTAB_H

struct conn;

#define CONNTAB_FULL (-1)	/* at the bound: no file descriptors to spare */
#define CONNTAB_NOMEM (-2)	/* the table could not grow */

/* A new id for c (the smallest given back most recently, else the next
 * never used), or CONNTAB_FULL / CONNTAB_NOMEM. */
int conntab_add(struct conn *c);
/* The connection with this id, closing or not, or NULL. */
struct conn *conntab_get(int id);
/* id is free again: call only after the core's close upcall returned. */
void conntab_remove(int id);

/* Connections held now, and at most (from RLIMIT_NOFILE, read once). */
int conntab_count(void);
int conntab_bound(void);
/* The bound a limit of nofile open files gives. */
int conntab_bound_for(unsigned long long nofile);

#endif
