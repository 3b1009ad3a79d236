/*
 * No machine under the auth fuzzer: the engine never reaches the arch,
 * but the core's archive (captoken's spinlock, the formatter's console
 * path) refers to it.  A spinlock's irq save/restore and the clock are
 * harmless no-ops; anything else would mean the engine did I/O, which it
 * must not: abort(), so AFL records it.
 */
#include <stdlib.h>

#include <lux/arch.h>

arch_irqstate arch_irq_save(void) { return 0; }
void arch_irq_restore(arch_irqstate s) { (void)s; }
uint64_t arch_time_ns(void) { return 0; }
int64_t arch_wallclock_ns(void) { return 0; }
void arch_console_write(const char *buf, size_t n) { (void)buf; (void)n; }
void arch_timer_arm(uint64_t deadline_ns) { (void)deadline_ns; abort(); }
void arch_idle(void) { abort(); }
void arch_poll(void) { }
void arch_ctx_init(arch_ctx *ctx, void *stack, size_t stack_size, void (*entry)(void *), void *arg)
{
	(void)ctx; (void)stack; (void)stack_size; (void)entry; (void)arg;
	abort();
}
void arch_ctx_switch(arch_ctx *from, arch_ctx *to) { (void)from; (void)to; abort(); }
void arch_ctx_destroy(arch_ctx *ctx) { (void)ctx; abort(); }
int arch_entropy(void *buf, size_t n) { (void)buf; (void)n; abort(); }
_Noreturn void arch_halt(int status) { (void)status; abort(); }
long arch_conn_send(int conn, const void *buf, size_t n) { (void)conn; (void)buf; (void)n; abort(); }
void arch_conn_close(int conn) { (void)conn; abort(); }
void arch_conn_pause(int conn, int paused) { (void)conn; (void)paused; abort(); }
int arch_conn_dial(const char *addr) { (void)addr; abort(); }
void arch_serving(void) { abort(); }
int arch_offload(void (*fn)(void *), void *arg, void *cookie) { (void)fn; (void)arg; (void)cookie; abort(); }
int arch_conn_simulate(const struct arch_conn_sim *sim) { (void)sim; abort(); }
int arch_blk_info(int dev, struct arch_blk_info *info) { (void)dev; (void)info; abort(); }
int arch_blk_submit(int dev, int op, uint64_t sector, void *buf, uint32_t nsect, void *cookie)
{
	(void)dev; (void)op; (void)sector; (void)buf; (void)nsect; (void)cookie;
	abort();
}

int arch_pci_dev(int i, struct arch_pci_dev *d) { (void)i; (void)d; abort(); }
int arch_memrange(int i, struct arch_memrange *r) { (void)i; (void)r; abort(); }
