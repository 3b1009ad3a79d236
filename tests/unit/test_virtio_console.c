/*
 * drivers/virtq.c and drivers/virtio_console.c against a pretend device
 * that breaks the rules: the driver runs on the host here (plain C, no
 * kernel), with the transport played by this test (virtio_pci.c talks to real ports
 * and MMIO) and the device's side of the rings written by the test.
 * What it proves: a used-ring index that runs ahead, an id past the ring,
 * a buffer given back twice, a length past the buffer, an overlong
 * control message and a send slot given back twice each mark the device
 * broken instead of reaching past the driver's tables; a port is taken
 * by its name only; host opens and closes are counted;
 * received bytes come out in order, and a buffer goes back only when
 * all of it was taken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "virtio_console.h"

/* ---- the transport, played by the test ------------------------------- */

static int failed;
static volatile uint16_t notify_sink;

int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t want) { (void)vp; (void)want; return 0; }
unsigned virtio_pci_queue_max(struct virtio_pci *vp, unsigned index) { (void)vp; (void)index; return 64; }
int virtio_pci_queue(struct virtio_pci *vp, struct virtq *q, uint16_t vec)
{
	(void)vp, (void)vec;
	q->notify = &notify_sink;
	return 0;
}
void virtio_pci_config_vector(struct virtio_pci *vp, uint16_t vec) { (void)vp; (void)vec; }
void virtio_pci_ready(struct virtio_pci *vp) { (void)vp; }
void virtio_pci_fail(struct virtio_pci *vp) { (void)vp; failed = 1; }
uint32_t virtio_pci_devcfg32(struct virtio_pci *vp, unsigned off) { (void)vp; return off == 4 ? 31 : 0; }

static void *pages[64];
static int npages;

static void *page(void)
{
	void *p = aligned_alloc(4096, 4096);

	memset(p, 0, 4096);
	pages[npages++] = p;
	return p;
}

/* ---- the device's side of a ring -------------------------------------- */

struct dev { uint16_t avail_seen; };
static struct dev dctl, drx, dtx;

static uint16_t *used_idx(struct virtq *q) { return (uint16_t *)(q->used + 2); }

static void used_put(struct virtq *q, uint32_t id, uint32_t len)
{
	uint32_t *e = (uint32_t *)(q->used + 4 + 8u * (*used_idx(q) & (q->size - 1)));

	e[0] = id;
	e[1] = len;
	(*used_idx(q))++;
}

/* The next buffer the driver offered: its id. */
static uint16_t avail_take(struct virtq *q, struct dev *d)
{
	assert_true(d->avail_seen != q->avail[1]);
	return q->avail[2 + (d->avail_seen++ & (q->size - 1))];
}

static void control(struct vcon *c, uint32_t port, uint16_t event, uint16_t value, const char *name)
{
	uint16_t id = avail_take(&c->ctl_rx, &dctl);
	uint8_t *b = (uint8_t *)(uintptr_t)c->ctl_rx.desc[id].addr;
	uint32_t n = name ? (uint32_t)strlen(name) : 0;

	memcpy(b, &port, 4);
	memcpy(b + 4, &event, 2);
	memcpy(b + 6, &value, 2);
	if (n)
		memcpy(b + 8, name, n);
	used_put(&c->ctl_rx, id, 8 + n);
}

static void receive(struct vcon *c, const char *s)
{
	struct virtq *q = &c->prx[c->port];
	uint16_t id = avail_take(q, &drx);

	memcpy((void *)(uintptr_t)q->desc[id].addr, s, strlen(s));
	used_put(q, id, (uint32_t)strlen(s));
}

static struct virtio_pci vp;
static struct vcon vc;

static int setup(void **state)
{
	(void)state;
	memset(&vc, 0, sizeof vc);
	memset(&dctl, 0, sizeof dctl), memset(&drx, 0, sizeof drx), memset(&dtx, 0, sizeof dtx);
	failed = 0;
	assert_int_equal(vcon_init(&vc, &vp, "lux9.9p", page, 0), 0);
	/* DEVICE_READY went out on the control send queue */
	assert_int_equal(vc.ctl_tx.avail[1], 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	while (npages > 0)
		free(pages[--npages]);
	return 0;
}

/* The port with our name is taken, another is not; opens are counted. */
static void test_named_port_and_opens(void **state)
{
	(void)state;
	control(&vc, 2, 1, 0, 0);		/* DEVICE_ADD 2 */
	control(&vc, 2, 7, 0, "other");		/* PORT_NAME 2 "other" */
	control(&vc, 1, 1, 0, 0);		/* DEVICE_ADD 1 */
	control(&vc, 1, 6, 1, 0);		/* PORT_OPEN 1: host open before the name */
	control(&vc, 1, 7, 0, "lux9.9p");
	assert_int_equal(vcon_poll(&vc), 0);
	assert_int_equal(vc.port, 1);
	assert_int_equal(vc.host_open, 1);
	assert_int_equal(vc.host_changes, 1);
	control(&vc, 1, 6, 0, 0);		/* the host leaves and another comes */
	control(&vc, 1, 6, 1, 0);
	assert_int_equal(vcon_poll(&vc), 0);
	assert_int_equal(vc.host_changes, 3);
	assert_false(failed);
}

static void name_port(void)
{
	control(&vc, 1, 1, 0, 0);
	control(&vc, 1, 7, 0, "lux9.9p");
	assert_int_equal(vcon_poll(&vc), 0);
	assert_int_equal(vc.port, 1);
}

/* Bytes in order, across buffers; a buffer returns only when emptied. */
static void test_receive_in_order(void **state)
{
	const uint8_t *p;
	uint32_t n;
	uint16_t offered;

	(void)state;
	name_port();
	offered = vc.prx[1].avail[1];
	receive(&vc, "hello ");
	receive(&vc, "world");
	vcon_rx_drain(&vc);
	assert_int_equal(vcon_rx_peek(&vc, &p, &n), 1);
	assert_int_equal(n, 6);
	assert_memory_equal(p, "hello ", 6);
	vcon_rx_take(&vc, 2);			/* part of it: kept */
	assert_int_equal(vc.prx[1].avail[1], offered);
	assert_int_equal(vcon_rx_peek(&vc, &p, &n), 1);
	assert_memory_equal(p, "llo ", 4);
	vcon_rx_take(&vc, 4);			/* all of it: back to the device */
	assert_int_equal(vc.prx[1].avail[1], (uint16_t)(offered + 1));
	assert_int_equal(vcon_rx_peek(&vc, &p, &n), 1);
	assert_memory_equal(p, "world", 5);
	vcon_rx_discard(&vc);
	assert_int_equal(vcon_rx_peek(&vc, &p, &n), 0);
	assert_false(failed);
}

static void test_used_index_runs_ahead(void **state)
{
	(void)state;
	name_port();
	*used_idx(&vc.prx[1]) += (uint16_t)(vc.prx[1].size + 1);	/* more than ever offered */
	vcon_rx_drain(&vc);
	assert_true(vc.broken);
	assert_int_equal(vcon_poll(&vc), -1);
	assert_true(failed);
}

/* A buffer given back twice: the second time it is not the device's. */
static void test_buffer_returned_twice(void **state)
{
	uint16_t id;

	(void)state;
	name_port();
	id = avail_take(&vc.prx[1], &drx);
	used_put(&vc.prx[1], id, 4);
	used_put(&vc.prx[1], id, 4);
	vcon_rx_drain(&vc);
	assert_true(vc.broken);
	assert_int_equal(vc.fcount, 1);		/* only the first was taken in */
}

static void test_id_past_ring(void **state)
{
	(void)state;
	name_port();
	used_put(&vc.prx[1], 70000, 4);
	vcon_rx_drain(&vc);
	assert_true(vc.broken);
}

static void test_length_past_buffer(void **state)
{
	uint16_t id;

	(void)state;
	name_port();
	id = avail_take(&vc.prx[1], &drx);
	used_put(&vc.prx[1], id, VCON_RXBUF + 1);
	vcon_rx_drain(&vc);
	assert_true(vc.broken);
}

static void test_control_too_long(void **state)
{
	uint16_t id;

	(void)state;
	id = avail_take(&vc.ctl_rx, &dctl);
	used_put(&vc.ctl_rx, id, VCON_CTLBUF + 1);
	assert_int_equal(vcon_poll(&vc), -1);
	assert_true(failed);
}

/* A send given back twice, or one never made, breaks the device. */
static void test_send_slots(void **state)
{
	uint16_t slot;
	static const char msg[] = "reply";

	(void)state;
	name_port();
	assert_int_equal(vcon_tx_slots(&vc), 64);
	assert_int_equal(vcon_tx(&vc, 3, msg, 5), 0);
	assert_int_equal(vcon_tx(&vc, 3, msg, 5), -1);	/* busy */
	assert_int_equal(vcon_tx(&vc, 64, msg, 5), -1);	/* no such slot */
	assert_int_equal(vcon_tx_done(&vc, &slot), 0);
	used_put(&vc.ptx[1], avail_take(&vc.ptx[1], &dtx), 5);
	assert_int_equal(vcon_tx_done(&vc, &slot), 1);
	assert_int_equal(slot, 3);
	used_put(&vc.ptx[1], 3, 5);			/* again */
	assert_int_equal(vcon_tx_done(&vc, &slot), -1);
	assert_true(vc.broken);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_named_port_and_opens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_index_runs_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_returned_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_past_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_length_past_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_slots, setup, teardown),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
