/*
 * luxsim: the Lux9 kernel as a Linux process.  This file is only the
 * command line; arch-hosted implements the machine and core/ is the
 * kernel, the same sources the x86_64 image is built from.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch-hosted/hosted.h"

#define DEFAULT_MEM_MIB 64
#define MIN_MEM_MIB 4
#define MAX_MEM_MIB 4096

static void usage(FILE *f, const char *argv0)
{
	fprintf(f,
	        "usage: %s [options]\n"
	        "\n"
	        "Boot the Lux9 kernel as a process: a banner, the boot self-check, then the\n"
	        "kernel's shell on this terminal (type 'help'; end input or 'halt' to stop).\n"
	        "\n"
	        "options:\n"
	        "  -c 'CMD; CMD'    run the commands in the kernel's shell, then halt with the\n"
	        "                   status of the last one (implies --quiet unless --verbose)\n"
	        "  -m, --mem MIB    memory given to the kernel, in MiB (default %d, %d..%d)\n"
	        "  -q, --quiet      no banner and no self-check lines (failures still print)\n"
	        "  -v, --verbose    banner and self-check lines even with -c\n"
	        "  -V, --version    print the version and exit\n"
	        "  -h, --help       print this help and exit\n"
	        "\n"
	        "exit status: the kernel's halt status (halt N), 0 at end of input,\n"
	        "70 if the boot self-check failed, 99 after a kernel panic, 64 for a bad\n"
	        "command line.\n",
	        argv0, DEFAULT_MEM_MIB, MIN_MEM_MIB, MAX_MEM_MIB);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mem", required_argument, 0, 'm' },
		{ "quiet", no_argument, 0, 'q' },
		{ "verbose", no_argument, 0, 'v' },
		{ "version", no_argument, 0, 'V' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct hosted_config cfg = { .mem_bytes = (size_t)DEFAULT_MEM_MIB << 20 };
	int c, quiet = 0, verbose = 0;
	char *end;
	long mib;

	while ((c = getopt_long(argc, argv, "c:m:qvVh", opts, 0)) != -1) {
		switch (c) {
		case 'c':
			cfg.commands = optarg;
			break;
		case 'm':
			mib = strtol(optarg, &end, 10);
			if (*optarg == 0 || *end || mib < MIN_MEM_MIB || mib > MAX_MEM_MIB) {
				fprintf(stderr, "luxsim: --mem wants a whole number of MiB from %d to %d, not '%s'\n",
				        MIN_MEM_MIB, MAX_MEM_MIB, optarg);
				return 64;
			}
			cfg.mem_bytes = (size_t)mib << 20;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("luxsim (Lux9) " LUX9_VERSION "\n");
			return 0;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 64;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "luxsim: unexpected argument '%s' (commands go in -c '...')\n", argv[optind]);
		return 64;
	}
	cfg.quiet = verbose ? 0 : quiet || cfg.commands != NULL;
	hosted_boot(&cfg);
}
