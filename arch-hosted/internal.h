/* Shared between the files of arch-hosted; not part of any contract. */
#ifndef LUX_HOSTED_INTERNAL_H
#define LUX_HOSTED_INTERNAL_H

#include <uv.h>

uv_loop_t *hosted_loop(void);

/* Bracket every upcall into the core: upcalls run "with interrupts off". */
void hosted_upcall_begin(void);
void hosted_upcall_end(void);
/* A new context starts with upcalls enabled (see arch_ctx_init). */
void hosted_irq_enable(void);

void hosted_console_poll(uv_loop_t *loop);
int hosted_console_busy(void);
void hosted_timer_init(uv_loop_t *loop);

#endif
