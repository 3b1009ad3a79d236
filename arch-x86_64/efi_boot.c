/*
 * The UEFI entry: everything the kernel needs from boot services is
 * gathered here, then boot services are exited and x86_start() runs on
 * the kernel's own stack.  Nothing after ExitBootServices may call the
 * firmware (runtime services included: we never SetVirtualAddressMap and
 * have no use for them yet).
 *
 * Memory: the core gets EfiConventionalMemory above 1 MiB, and, once our
 * own page tables are loaded (paging.c), EfiBootServicesCode/Data above
 * 1 MiB too: the firmware's page tables, GDT and the stack efi_main ran
 * on live there until then (memmap.c keeps the two lists).  The image,
 * our stacks and the memory map buffer are EfiLoaderData/EfiLoaderCode
 * and so excluded by type.  Runtime-services memory is never touched (we
 * never call runtime services after exit).
 *
 * ExitBootServices needs the key of the current memory map.  Anything
 * that allocates between GetMemoryMap and ExitBootServices (an event
 * callback, a console driver) changes the map and staleness is reported
 * as EFI_INVALID_PARAMETER: we fetch the map again and retry, a bounded
 * number of times, into a buffer with slack so that the retry itself
 * need not allocate.
 */
#include <efi.h>

#include <lux/upcall.h>

#include "cpu.h"
#include "x86.h"

#define PAGE X86_PAGE
#define LOW_LIMIT 0x100000ull /* below 1 MiB: never ours */
#define EXIT_TRIES 8

struct x86_bootinfo x86_bootinfo;

/* Where a failure before the console exists can still be seen: the
 * firmware's console while boot services last, then our own UART. */
static void efi_fail(EFI_SYSTEM_TABLE *st, CHAR16 *msg)
{
	st->ConOut->OutputString(st->ConOut, msg);
}

static void copy_vendor(EFI_SYSTEM_TABLE *st)
{
	size_t i;
	CHAR16 *v = st->FirmwareVendor;

	for (i = 0; v && v[i] && i + 1 < sizeof x86_bootinfo.fw_vendor; i++)
		x86_bootinfo.fw_vendor[i] = v[i] < 0x80 ? (char)v[i] : '?';
	x86_bootinfo.fw_vendor[i] = '\0';
	x86_bootinfo.fw_revision = st->FirmwareRevision;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The firmware's RTC reading as Unix ns.  An unspecified time zone (what
 * OVMF reports; QEMU's RTC runs in UTC) is taken as UTC; otherwise UEFI
 * 2.7+ defines Localtime = UTC + TimeZone (minutes). */
static void capture_time(EFI_SYSTEM_TABLE *st)
{
	EFI_TIME t;
	int64_t s;

	if (st->RuntimeServices->GetTime(&t, 0) != EFI_SUCCESS || t.Month < 1 || t.Month > 12 ||
	    t.Day < 1 || t.Day > 31)
		return;
	x86_bootinfo.time_tsc = rdtsc();
	s = days_from_civil(t.Year, t.Month, t.Day) * 86400 + t.Hour * 3600 + t.Minute * 60 +
	    t.Second;
	if (t.TimeZone != EFI_UNSPECIFIED_TIMEZONE)
		s -= (int64_t)t.TimeZone * 60;
	x86_bootinfo.time_unix_ns = s * 1000000000 + t.Nanosecond;
	x86_bootinfo.have_time = 1;
}

/* EFI_RNG_PROTOCOL is the fallback entropy source (entropy.c); read its
 * pool now because the protocol is gone after ExitBootServices. */
static void capture_rng(EFI_SYSTEM_TABLE *st)
{
	EFI_GUID guid = EFI_RNG_PROTOCOL_GUID;
	EFI_RNG_PROTOCOL *rng;

	if (st->BootServices->LocateProtocol(&guid, 0, (void **)&rng) != EFI_SUCCESS)
		return;
	x86_bootinfo.rng_protocol = 1;
	if (rng->GetRNG(rng, 0, sizeof x86_bootinfo.rng_pool, x86_bootinfo.rng_pool) == EFI_SUCCESS)
		x86_bootinfo.rng_len = sizeof x86_bootinfo.rng_pool;
}

/* The loaded image's size, from the loader itself: the PE holds fewer
 * sections than the ELF it came from (.dynstr stays behind), so no link
 * symbol marks its end, and the pages past it are someone else's. */
static void capture_image(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_GUID guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
	EFI_LOADED_IMAGE *li;

	if (st->BootServices->HandleProtocol(image, &guid, (void **)&li) == EFI_SUCCESS) {
		x86_bootinfo.image_base = (uintptr_t)li->ImageBase;
		x86_bootinfo.image_size = li->ImageSize;
	}
}

/* A stack of `pages` with one more page below it, which paging.c unmaps
 * (the guard): returns the top. */
static uintptr_t alloc_stack(EFI_SYSTEM_TABLE *st, UINTN pages)
{
	EFI_PHYSICAL_ADDRESS a = 0;

	if (st->BootServices->AllocatePages(AllocateAnyPages, EfiLoaderData, pages + 1, &a) !=
	    EFI_SUCCESS)
		return 0;
	return (uintptr_t)(a + (pages + 1) * PAGE);
}

/* Sort the final memory map into memmap.c's lists: conventional memory
 * (free now) and boot-services memory (free once our page tables are
 * loaded), both above 1 MiB and page-aligned. */
static void build_regions(uint8_t *map, UINTN size, UINTN descsize)
{
	UINTN off;

	for (off = 0; off + descsize <= size; off += descsize) {
		EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)(map + off);
		uint64_t base = d->PhysicalStart;
		uint64_t end = base + d->NumberOfPages * PAGE;
		struct x86_memlist *l;

		if (end > x86_bootinfo.phys_top && d->Type != EfiMemoryMappedIO &&
		    d->Type != EfiMemoryMappedIOPortSpace)
			x86_bootinfo.phys_top = end;
		if (d->Type == EfiConventionalMemory)
			l = &x86_ram;
		else if (d->Type == EfiBootServicesCode || d->Type == EfiBootServicesData)
			l = &x86_reclaim;
		else
			continue;
		if (base < LOW_LIMIT)
			base = LOW_LIMIT;
		base = (base + PAGE - 1) & ~(PAGE - 1);
		end &= ~(PAGE - 1);
		if (end > base)
			memlist_add(l, base, end - base);
	}
}

/* Fetch the map and exit boot services, retrying on a stale key.
 * Returns 0 with boot services gone, or an EFI status with *why set. */
static EFI_STATUS exit_boot_services(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, const char **why)
{
	EFI_BOOT_SERVICES *bs = st->BootServices;
	uint8_t *map = 0;
	UINTN cap = 0, size, key, descsize;
	UINT32 descver;
	EFI_STATUS s = EFI_SUCCESS;
	unsigned i;

	for (i = 0; i < EXIT_TRIES; i++) {
		size = cap;
		s = bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &descsize,
		                     &descver);
		if (s == EFI_BUFFER_TOO_SMALL) {
			/* Allocating changes the map itself: leave room for
			 * a few more descriptors than asked for. */
			if (map)
				bs->FreePool(map);
			cap = size + 16 * (descsize ? descsize : 64);
			s = bs->AllocatePool(EfiLoaderData, cap, (void **)&map);
			if (s != EFI_SUCCESS) {
				*why = "no memory for the memory map";
				return s;
			}
			continue;
		}
		if (s != EFI_SUCCESS) {
			*why = "GetMemoryMap failed";
			return s;
		}
		x86_bootinfo.exit_tries++;
		s = bs->ExitBootServices(image, key);
		if (s == EFI_SUCCESS) {
			build_regions(map, size, descsize);
			return EFI_SUCCESS;
		}
		/* EFI_INVALID_PARAMETER: the key went stale.  Only memory
		 * services may be used from here on; we use GetMemoryMap. */
	}
	*why = "the memory map kept changing under ExitBootServices";
	return s;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

EFI_STATUS
efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	const char *why = "";
	EFI_STATUS s;
	int i, ok;

	x86_bootinfo.tsc_boot = rdtsc();
	copy_vendor(st);
	capture_time(st);
	capture_rng(st);
	capture_image(image, st);
	x86_bootinfo.boot_stack_top = alloc_stack(st, X86_BOOT_STACK_PAGES);
	ok = x86_bootinfo.boot_stack_top != 0;
	for (i = 0; i < X86_NIST; i++) {
		x86_bootinfo.ist_stack_top[i] = alloc_stack(st, X86_IST_STACK_PAGES);
		ok = ok && x86_bootinfo.ist_stack_top[i] != 0;
	}
	if (!ok) {
		efi_fail(st, L"lux9: cannot allocate kernel stacks\r\n");
		return EFI_OUT_OF_RESOURCES;
	}
	if ((s = exit_boot_services(image, st, &why)) != EFI_SUCCESS) {
		/* Boot services may be half shut down: do not return to
		 * the firmware; report on our own UART and halt. */
		cli();
		x86_console_init();
		x86_panic("cannot exit boot services: %s (EFI status 0x%lx, "
		          "%u ExitBootServices calls)",
		          why, (uint64_t)s, x86_bootinfo.exit_tries);
	}
	cli();
	x86_call_on_stack(x86_bootinfo.boot_stack_top, x86_start);
}
