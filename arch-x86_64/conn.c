/*
 * Connections on metal: none yet.  They come with virtio-serial (and
 * later a network driver); until then no lux_conn_opened() is ever
 * delivered, lux_boot.caps has no LUX_CAP_CONN so the core starts no 9P
 * server, and these calls answer honestly for an id that cannot exist;
 * arch_conn_dial (v4) refuses with E_NOCONN, which the 9P client reports.
 */
#include <lux/arch.h>
#include <lux/error.h>

long arch_conn_send(int conn, const void *buf, size_t n)
{
	(void)conn;
	(void)buf;
	(void)n;
	return -1;	/* no such connection */
}

void arch_conn_close(int conn)
{
	(void)conn;	/* nothing to close: no connection was ever opened */
}

void arch_conn_pause(int conn, int paused)
{
	(void)conn;
	(void)paused;	/* nothing delivers bytes, so nothing to pause */
}

/* Metal has no network and no virtio-serial yet: nothing to dial. */
int arch_conn_dial(const char *addr)
{
	(void)addr;
	return E_NOCONN;
}

int arch_conn_simulate(const struct arch_conn_sim *sim)
{
	(void)sim;
	return -1;	/* no deterministic simulation on metal */
}

/* One CPU and no threads yet (v9): offloaded work runs in place, in the
 * caller, which still takes its user's turn (core/kern/offload.c). */
int arch_offload(void (*fn)(void *), void *arg, void *cookie)
{
	(void)fn;
	(void)arg;
	(void)cookie;
	return E_NOTSUP;
}
