/*
 * Block devices on metal: none yet.  The disk driver is virtio-blk, which
 * comes with the parity issue; until then both calls refuse with
 * E_NOTSUP ("operation not supported by this device"), and the core
 * boots without a store and says so, exactly as hosted does when no
 * --store was given.  Nothing here pretends a device exists.
 */
#include <lux/arch.h>
#include <lux/error.h>

int arch_blk_info(int dev, struct arch_blk_info *info)
{
	(void)dev;
	(void)info;
	return E_NOTSUP;
}

int arch_blk_submit(int dev, int op, uint64_t sector, void *buf, uint32_t nsect, void *cookie)
{
	(void)dev, (void)op, (void)sector, (void)buf, (void)nsect, (void)cookie;
	return E_NOTSUP;
}
