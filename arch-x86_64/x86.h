/*
 * The arch-x86_64 port's internal interface: what its files call in one
 * another (9front's pc64/fns.h plays this part).  The core never sees it;
 * the core sees <lux/arch.h> only.
 */
#ifndef LUX_X86_H
#define LUX_X86_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <lux/upcall.h>

/* Interrupt vectors.  0-31 are the CPU's exceptions. */
enum {
	VEC_PIC_BASE = 32,		/* 8259 IRQ n arrives on 32 + n */
	VEC_PIC_END = 48,
	VEC_LAPIC_TIMER = 48,
	VEC_VIRTIO = 49,		/* virtio-serial's MSI-X (and its self-IPI kick) */
	VEC_LAPIC_SPURIOUS = 255,
};

/* Status of a CPU exception or any other arch-level panic.  Through
 * isa-debug-exit QEMU exits with (3 << 1) | 1 = 7; run-qemu.py turns that
 * back into 3. */
#define ARCH_PANIC_STATUS 3

#define X86_NIST 4		/* IST stacks in use (gdt.c, idt.c) */

/* Everything efi_main learns before ExitBootServices; read-only after. */
struct x86_bootinfo {
	uint64_t tsc_boot;		/* rdtsc at efi_main entry: time 0 */
	char fw_vendor[40];		/* ST->FirmwareVendor, ASCII */
	uint32_t fw_revision;		/* ST->FirmwareRevision */
	int have_time;			/* RT->GetTime answered */
	int64_t time_unix_ns;		/* its answer, as Unix ns */
	uint64_t time_tsc;		/* rdtsc right after GetTime */
	int rng_protocol;		/* EFI_RNG_PROTOCOL located */
	size_t rng_len;			/* bytes of rng_pool it filled */
	uint8_t rng_pool[64];
	unsigned exit_tries;		/* ExitBootServices attempts */
	uint64_t phys_top;		/* end of the highest range in the map */
	uintptr_t image_base;		/* EFI_LOADED_IMAGE_PROTOCOL's */
	uint64_t image_size;		/* 0: the loader did not say */
	/* Stacks (LoaderData), each with an unmapped guard page below
	 * (paging.c): the kernel boot stack, then the IST stacks. */
	uintptr_t boot_stack_top;
	uintptr_t ist_stack_top[X86_NIST];	/* IST1 #DF, IST2 NMI, IST3 #MC, IST4 #PF */
};

#define X86_PAGE 4096ull
#define X86_BOOT_STACK_PAGES 16		/* 64 KiB */
#define X86_IST_STACK_PAGES 4		/* 16 KiB each */

/* memmap.c: physical memory, sorted and merged runs (see there). */
#define X86_MAXREGIONS 64
struct x86_memlist {
	struct lux_memregion r[X86_MAXREGIONS];
	size_t n;
	uint64_t bytes;			/* in r[] */
	uint64_t taken;			/* taken for page tables */
	uint64_t drivers;		/* taken for drivers' rings and buffers */
	uint64_t dropped;		/* past X86_MAXREGIONS runs */
};
extern struct x86_memlist x86_ram, x86_reclaim;
/* x86_ram as it was before boot services' memory joined it (memranges.c) */
extern struct x86_memlist x86_ram_boot;
/* Taken for drivers after that (memmap_take_run), and the devices'
 * registers paging_map_mmio mapped: both for /dev/memmap. */
extern struct x86_memlist x86_drivers, x86_mmio;
void memlist_add(struct x86_memlist *l, uint64_t base, uint64_t len);
void *memmap_take_page(void);
void *memmap_take_run(size_t n);
void memmap_reclaim(void);

/* paging.c */
void paging_init(void);
/* pci.c: find the PCI functions (arch_pci_dev lists them) */
void pci_init(void);
int paging_guard(uintptr_t va, int guard);
uint64_t paging_pte(uintptr_t va);
uint64_t paging_reclaimed(void);
uint64_t paging_exec_pages(void);
void paging_map_mmio(uint64_t pa, uint64_t len);
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)

struct trapframe;
/* fault.c: the one-line verdict on a page fault, before the dump. */
void fault_explain(const struct trapframe *tf, uint64_t cr2);
/* The arch's own guarded stacks, for the verdict: 0 or what a guard page
 * at va guards ("the boot stack", "the #DF stack"). */
const char *paging_guard_name(uintptr_t va);

extern struct x86_bootinfo x86_bootinfo;

/* The saved state of an interrupted context, in the order trap.S pushes
 * it (lowest address first).  Keep in sync with trap.S. */
struct trapframe {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

/* start.c */
_Noreturn void x86_start(void);

/* stack.S */
_Noreturn void x86_call_on_stack(uintptr_t top, void (*fn)(void));

/* kprint.c: formatting for the arch's own messages, never the core's. */
int x86_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int x86_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void x86_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void x86_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* console.c */
void x86_console_init(void);
void x86_console_enable_input(void);
void x86_console_irq(void);
void x86_console_resume(void);
void x86_console_flush(void);

/* irq.c: upcalls delivered so far (interrupt handlers count them, and
 * arch_idle does not sleep through one). */
extern volatile unsigned long x86_upcalls;

/* cpu.c */
void x86_fpu_init(void);

/* gdt.c, idt.c, trap.c */
void gdt_init(void);
void idt_init(void);
void trap_dispatch(struct trapframe *tf);

/* pic.c: the legacy 8259 pair. */
void pic_init(void);
void pic_unmask(int irq);
void pic_eoi(int irq);
int pic_spurious(int irq);

/* tsc.c */
void tsc_calibrate(void);
uint64_t tsc_hz(void);
uint64_t tsc_to_ns(uint64_t ticks);
uint64_t ns_to_tsc(uint64_t ns);
int tsc_invariant(void);

/* lapic.c */
void lapic_init(void);
void lapic_timer_irq(void);
void lapic_eoi(void);
uint64_t lapic_timer_hz(void);
uint32_t lapic_id(void);
void lapic_self_ipi(uint8_t vector);

/* msix.c: MSI-X table entry `entry` of d sends `vector` to this CPU,
 * masked until msix_unmask.  0, or -1 with *why set. */
struct arch_pci_dev;
int msix_route(const struct arch_pci_dev *d, unsigned entry, uint8_t vector,
               volatile uint32_t **ctl, const char **why);
void msix_unmask(volatile uint32_t *ctl);

/* virtio.c: virtio-serial's port for 9P.  init: where connections come
 * from ("virtio-serial!lux9.9p") or 0; start: the core is up (first
 * arch_idle), interrupts may flow; irq: its vector. */
const char *x86_virtio_init(void);
void x86_virtio_start(void);
void x86_virtio_irq(void);

/* conn.c: connections over that port. */
struct vcon;
void x86_conn_attach(struct vcon *vc, void (*kick)(void));
void x86_conn_service(void);

/* entropy.c */
const char *x86_entropy_init(int *real);

#endif
