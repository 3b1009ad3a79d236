/*
 * luxsim: the Lux9 kernel as a Linux process.  This file is only the
 * command line; arch-hosted implements the machine and core/ is the
 * kernel, the same sources the x86_64 image is built from.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

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
	        "kernel's shell on this terminal (type 'help'; end input or 'halt' to stop),\n"
	        "or with --serve a 9P service with no shell.\n"
	        "\n"
	        "options:\n"
	        "  --serve          run as a service: no shell and stdin never read; serve 9P\n"
	        "                   (on the default addresses unless --listen) until SIGTERM\n"
	        "                   or SIGINT, answer the requests in flight, remove the\n"
	        "                   socket files and exit 0.  The console becomes a log on\n"
	        "                   stderr, a UTC timestamp per line; with NOTIFY_SOCKET set\n"
	        "                   (systemd Type=notify) READY=1 is sent once it serves and\n"
	        "                   STOPPING=1 when it halts.  Not with -c, --sim, --seed\n"
	        "                   or --no-listen.  See docs/service.md\n"
	        "  -c 'CMD; CMD'    run the commands in the kernel's shell, then halt with the\n"
	        "                   status of the last one (implies --quiet unless --verbose)\n"
	        "  -m, --mem MIB    memory given to the kernel, in MiB (default %d, %d..%d)\n"
	        "  --seed N         deterministic run: virtual time, entropy and every\n"
	        "                   scheduling choice come from N; prints 'trace <hash>' at\n"
	        "                   halt (same seed + same input = same hash)\n"
	        "  --sim NAME       run simulation scenario NAME instead of the shell, checking\n"
	        "                   invariants after every step (needs --seed or --seeds);\n"
	        "                   --sim list shows the scenarios\n"
	        "  --steps K        scenario steps (default: the scenario's own)\n"
	        "  --seeds A..B     run the scenario once per seed from A to B, each in its own\n"
	        "                   process; report the seeds that fail and how to replay them\n"
	        "  --break-invariant WHAT\n"
	        "                   test only: make the scenario break an invariant on purpose\n"
	        "                   (leak-page, leak-proc, skip-unlock; net, hostile: leak-conn;\n"
	        "                   blk: lose-flushed) to prove the checker\n"
	        "  --listen ADDR    serve 9P (9P2000 and 9P2000.L) on ADDR: unix!PATH or\n"
	        "                   tcp!HOST!PORT; repeatable; replaces the defaults, which\n"
	        "                   are unix!$XDG_RUNTIME_DIR/lux9/luxsim.sock (or\n"
	        "                   unix!/tmp/luxsim-$UID/9p.sock) and tcp!127.0.0.1!5640.\n"
	        "                   The defaults apply to the shell and --serve only: with\n"
	        "                   -c or --sim nothing listens unless --listen is given,\n"
	        "                   and a deterministic run (--seed) never listens\n"
	        "  --listen-noauth tcp!HOST!PORT\n"
	        "                   serve 9P there WITHOUT AUTHENTICATION: whoever connects\n"
	        "                   acts as any user, eve included (tests, trusted networks);\n"
	        "                   a plain TCP listener makes unauthenticated clients none\n"
	        "  --no-listen      serve no 9P connections\n"
	        "  --socket-group GROUP\n"
	        "                   open the unix sockets (and their directory, when it is\n"
	        "                   luxsim's) to the Linux group GROUP; each peer is still\n"
	        "                   its own uid, mapped through /adm/users (else none)\n"
	        "  --store PATH     the file PATH is block device 0 (the store's drive, a\n"
	        "                   status in /dev/blk); made when missing, --store-size long\n"
	        "  --store-size N   bytes for a new store file: a multiple of 512, with K, M\n"
	        "                   or G (default 64M); an existing file keeps its size\n"
	        "  --store-key FILE open the drive as the encrypted store with the passphrase\n"
	        "                   in FILE (mode 0600); a blank drive gets a new store\n"
	        "  --state-dir DIR  where the host key and the users file live (default\n"
	        "                   $XDG_STATE_HOME/lux9 or ~/.local/state/lux9)\n"
	        "  --9p-handshake-ms MS, --9p-partial-ms MS, --9p-report-ms MS\n"
	        "                   the 9P server's edge: close a connection that has not\n"
	        "                   finished Tversion in MS (default 5000), or whose\n"
	        "                   message begun is not whole in MS (default 15000); sum\n"
	        "                   refusals and timeouts on the console every MS (default\n"
	        "                   10000).  See docs/9p.md\n"
	        "  --9p-max-conns N connections served at once (default: as many as a\n"
	        "                   page of memory each allows, at most 16384)\n"
	        "  -q, --quiet      no banner and no self-check lines (failures still print)\n"
	        "  -v, --verbose    banner and self-check lines even with -c\n"
	        "  -V, --version    print the version and exit\n"
	        "  -h, --help       print this help and exit\n"
	        "\n"
	        "exit status: the kernel's halt status (halt N), 0 at end of input or\n"
	        "after --serve's SIGTERM/SIGINT, 69 when --serve can listen nowhere,\n"
	        "70 if the boot self-check failed, 99 after a kernel panic, 64 for a bad\n"
	        "command line; a scenario: 0 if every invariant held, 3 if one broke.\n"
	        "docs/simulation.md explains how to reproduce a failure from its seed.\n",
	        argv0, DEFAULT_MEM_MIB, MIN_MEM_MIB, MAX_MEM_MIB);
}

static const struct option opts[] = {
	{ "mem", required_argument, 0, 'm' },
	{ "quiet", no_argument, 0, 'q' },
	{ "verbose", no_argument, 0, 'v' },
	{ "version", no_argument, 0, 'V' },
	{ "help", no_argument, 0, 'h' },
	{ "seed", required_argument, 0, 'S' },
	{ "sim", required_argument, 0, 'N' },
	{ "steps", required_argument, 0, 'K' },
	{ "seeds", required_argument, 0, 'R' },
	{ "break-invariant", required_argument, 0, 'B' },
	{ "sweep-child", no_argument, 0, 'C' },
	{ "listen", required_argument, 0, 'L' },
	{ "no-listen", no_argument, 0, 'n' },
	{ "listen-noauth", required_argument, 0, 'A' },
	{ "state-dir", required_argument, 0, 'D' },
	{ "socket-group", required_argument, 0, 'G' },
	{ "9p-handshake-ms", required_argument, 0, 'H' },
	{ "9p-partial-ms", required_argument, 0, 'P' },
	{ "9p-report-ms", required_argument, 0, 'T' },
	{ "9p-max-conns", required_argument, 0, 'X' },
	{ "serve", no_argument, 0, 's' },
	{ "store", required_argument, 0, 'Z' },
	{ "store-size", required_argument, 0, 'z' },
	{ "store-key", required_argument, 0, 'Y' },
	{ 0, 0, 0, 0 },
};

/* The value of the long option arg ("--name" or "--name=value") names,
 * as getopt_long reads it (a unique prefix will do), 0 for none, or -1
 * when it is the prefix of several. */
static int long_val(const char *arg)
{
	size_t n = strcspn(arg + 2, "=");
	int val = 0, matches = 0;

	for (const struct option *o = opts; o->name; o++) {
		if (strncmp(o->name, arg + 2, n) != 0)
			continue;
		if (strlen(o->name) == n)
			return o->val;	/* exact beats any prefix */
		val = o->val;
		matches++;
	}
	return matches == 1 ? val : matches ? -1 : 0;
}

/* A command line getopt refused: one line saying what, and where to look
 * (the whole usage would bury it).  c is getopt's ':' (a value missing)
 * or '?'; arg is the word it stopped at. */
static int bad_option(int c, const char *arg)
{
	char name[64];

	/* getopt says which short option (optopt) but not which word a long
	 * one was: the word it stopped at is the long option when it names
	 * the option optopt is (or, unknown, when optopt is 0) */
	bool is_long = strncmp(arg, "--", 2) == 0 && (optopt == 0 || long_val(arg) == optopt);

	if (is_long)
		snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(name, sizeof name, "-%c", optopt);	/* maybe in a group */
	if (c == ':')
		fprintf(stderr, "luxsim: option %s needs a value (try --help)\n", name);
	else if (is_long && optopt && strchr(arg, '='))
		fprintf(stderr, "luxsim: option %s takes no value (try --help)\n", name);
	else if (is_long && long_val(arg) < 0)
		fprintf(stderr, "luxsim: option %s is short for more than one (try --help)\n",
		        name);
	else
		fprintf(stderr, "luxsim: unknown option %s (try --help)\n", name);
	return 64;
}

static int parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (*s == 0 || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

/* A size for --store-size: bytes, or K, M, G after the number; a
 * positive multiple of the hosted device's 512-byte sector, at most 1T. */
static int parse_size(const char *s, unsigned long long *out)
{
	unsigned long long n, shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end || n == 0 || n > (1ull << 40) >> shift || (n << shift) % 512 != 0)
		return -1;
	*out = n << shift;
	return 0;
}

static const struct {
	const char *name;
	unsigned flag;
} breaks[] = {
	{ "leak-page", 1 }, { "leak-proc", 2 },     { "skip-unlock", 4 },
	{ "leak-conn", 8 }, { "lose-flushed", 16 },
};

/* --seeds A..B: run this program once per seed, each in its own process
 * (a kernel's state is per process), and report the failures. */
static int sweep(int argc, char **argv, unsigned long long a, unsigned long long b)
{
	unsigned long long failed = 0, first_fail = 0;
	char seedarg[40];
	char **args = calloc((size_t)argc + 3, sizeof *args);

	if (args == NULL) {
		perror("luxsim");
		return 71;
	}
	for (unsigned long long seed = a; seed <= b; seed++) {
		int status, n = 0;
		pid_t pid;

		/* the same command line without --seeds, plus one seed */
		args[n++] = argv[0];
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--seeds") == 0) {
				i++;
				continue;
			}
			if (strncmp(argv[i], "--seeds=", 8) == 0)
				continue;
			args[n++] = argv[i];
		}
		snprintf(seedarg, sizeof seedarg, "--seed=%llu", seed);
		args[n++] = seedarg;
		args[n++] = "--sweep-child";
		args[n] = NULL;
		/* the child's output is kept, and shown only if its seed fails */
		int out = memfd_create("luxsim-seed", 0);
		if (out < 0) {
			perror("luxsim: memfd_create");
			return 71;
		}
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("luxsim: fork");
			return 71;
		}
		if (pid == 0) {
			dup2(out, 1);
			dup2(out, 2);
			execv("/proc/self/exe", args);
			perror("luxsim: exec");
			_exit(71);
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char buf[4096];
			ssize_t n;
			if (failed++ == 0)
				first_fail = seed;
			printf("seed %llu: FAILED (%s %d); its output:\n", seed,
			       WIFEXITED(status) ? "exit status" : "signal",
			       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			fflush(stdout);
			lseek(out, 0, SEEK_SET);
			while ((n = read(out, buf, sizeof buf)) > 0)
				fwrite(buf, 1, (size_t)n, stdout);
		}
		close(out);
		if (seed == b)
			break;	/* b may be the largest seed there is */
	}
	free(args);
	printf("sweep: %llu seeds (%llu..%llu), %llu failed\n", b - a + 1, a, b, failed);
	if (failed)
		printf("replay the first failure: add --seed %llu instead of --seeds\n",
		       first_fail);
	return failed ? 3 : 0;
}

int main(int argc, char **argv)
{
	struct hosted_config cfg = { .mem_bytes = (size_t)DEFAULT_MEM_MIB << 20 };
	int c, quiet = 0, verbose = 0, sweeping = 0, child = 0;
	unsigned long long sweep_a = 0, sweep_b = 0;
	char *end;
	long mib;

	opterr = 0;	/* bad_option says it in one line */
	while ((c = getopt_long(argc, argv, ":c:m:qvVh", opts, 0)) != -1) {
		switch (c) {
		case 'c': cfg.commands = optarg; break;
		case 'm':
			mib = strtol(optarg, &end, 10);
			if (*optarg == 0 || *end || mib < MIN_MEM_MIB || mib > MAX_MEM_MIB) {
				fprintf(stderr,
				        "luxsim: --mem wants a whole number of MiB from %d to %d, "
				        "not '%s'\n",
				        MIN_MEM_MIB, MAX_MEM_MIB, optarg);
				return 64;
			}
			cfg.mem_bytes = (size_t)mib << 20;
			break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'V': printf("luxsim (Lux9) " LUX9_VERSION "\n"); return 0;
		case 'h': usage(stdout, argv[0]); return 0;
		case 'S':
			if (parse_u64(optarg, &cfg.seed) < 0) {
				fprintf(
				    stderr,
				    "luxsim: --seed wants a non-negative whole number, not '%s'\n",
				    optarg);
				return 64;
			}
			cfg.deterministic = 1;
			break;
		case 'N': cfg.scenario = optarg; break;
		case 'K':
			if (parse_u64(optarg, &cfg.steps) < 0 || cfg.steps == 0) {
				fprintf(stderr,
				        "luxsim: --steps wants a positive whole number, not '%s'\n",
				        optarg);
				return 64;
			}
			break;
		case 'R': {
			const char *dots = strstr(optarg, "..");
			char first[32];
			size_t len = dots ? (size_t)(dots - optarg) : 0;
			if (dots == NULL || len == 0 || len >= sizeof first) {
				fprintf(stderr, "luxsim: --seeds wants a range A..B, not '%s'\n",
				        optarg);
				return 64;
			}
			memcpy(first, optarg, len);
			first[len] = 0;
			if (parse_u64(first, &sweep_a) < 0 || parse_u64(dots + 2, &sweep_b) < 0 ||
			    sweep_b < sweep_a) {
				fprintf(stderr,
				        "luxsim: --seeds wants a range A..B of whole numbers with "
				        "A <= B, not '%s'\n",
				        optarg);
				return 64;
			}
			sweeping = 1;
			break;
		}
		case 'B': {
			size_t i, n = sizeof breaks / sizeof breaks[0];
			for (i = 0; i < n; i++)
				if (strcmp(breaks[i].name, optarg) == 0)
					break;
			if (i == n) {
				fprintf(stderr,
				        "luxsim: --break-invariant: '%s' is not one of leak-page, "
				        "leak-proc, skip-unlock, leak-conn, lose-flushed\n",
				        optarg);
				return 64;
			}
			cfg.breakflags |= breaks[i].flag;
			break;
		}
		case 'C': child = 1; break;
		case 'L':
		case 'A': {
			char why[300];
			if (cfg.nlisten == HOSTED_MAXLISTEN) {
				fprintf(stderr, "luxsim: at most %d --listen addresses\n",
				        HOSTED_MAXLISTEN);
				return 64;
			}
			if (hosted_listen_check(optarg, why, sizeof why) < 0) {
				fprintf(stderr, "luxsim: --listen %s\n", why);
				return 64;
			}
			if (c == 'A' && strncmp(optarg, "tcp!", 4) != 0) {
				fprintf(stderr,
				        "luxsim: --listen-noauth %s: TCP only (a unix socket "
				        "knows its peer's uid; use --listen)\n",
				        optarg);
				return 64;
			}
			cfg.listen_noauth[cfg.nlisten] = c == 'A';
			cfg.listen[cfg.nlisten++] = optarg;
			break;
		}
		case 'n': cfg.no_listen = 1; break;
		case 's': cfg.serve = 1; break;
		case 'D': cfg.state_dir = optarg; break;
		case 'G': cfg.socket_group = optarg; break;
		case 'H':
		case 'P':
		case 'T': {
			unsigned long long ms;
			if (parse_u64(optarg, &ms) < 0 || ms == 0 || ms > 3600000) {
				fprintf(stderr,
				        "luxsim: --9p-%s-ms wants milliseconds from 1 to 3600000, "
				        "not '%s'\n",
				        c == 'H'   ? "handshake"
				        : c == 'P' ? "partial"
				                   : "report",
				        optarg);
				return 64;
			}
			*(c == 'H'   ? &cfg.ninep_handshake_ms
			  : c == 'P' ? &cfg.ninep_partial_ms
			             : &cfg.ninep_report_ms) = (unsigned)ms;
			break;
		}
		case 'Z': cfg.store = optarg; break;
		case 'Y': cfg.store_key = optarg; break;
		case 'z':
			if (parse_size(optarg, &cfg.store_create_bytes) < 0) {
				fprintf(
				    stderr,
				    "luxsim: --store-size wants bytes, a multiple of 512 from 512 "
				    "to 1T, with an optional K, M or G, not '%s'\n",
				    optarg);
				return 64;
			}
			break;
		case 'X': {
			unsigned long long n;
			if (parse_u64(optarg, &n) < 0 || n == 0 || n > 1000000) {
				fprintf(stderr,
				        "luxsim: --9p-max-conns wants a count from 1 to 1000000, "
				        "not '%s'\n",
				        optarg);
				return 64;
			}
			cfg.ninep_maxconn = (unsigned)n;
			break;
		}
		default: return bad_option(c, argv[optind - 1]);
		}
	}
	if (cfg.store && (cfg.deterministic || sweeping)) {
		fprintf(stderr, "luxsim: --store: a deterministic run has no host devices (its "
		                "disk is simulated: --sim blk)\n");
		return 64;
	}
	if (cfg.store_key && !cfg.store) {
		fprintf(stderr, "luxsim: --store-key opens the --store drive: add --store PATH\n");
		return 64;
	}
	if (cfg.store_create_bytes && !cfg.store) {
		fprintf(stderr,
		        "luxsim: --store-size sizes a new --store file: add --store PATH\n");
		return 64;
	}
	if (cfg.store && !cfg.store_create_bytes)
		cfg.store_create_bytes = 64ull << 20;
	if (optind < argc) {
		fprintf(stderr, "luxsim: unexpected argument '%s' (commands go in -c '...')\n",
		        argv[optind]);
		return 64;
	}
	if (sweeping) {
		if (cfg.scenario == NULL) {
			fprintf(stderr, "luxsim: --seeds sweeps a scenario: add --sim NAME\n");
			return 64;
		}
		return sweep(argc, argv, sweep_a, sweep_b);
	}
	if (cfg.scenario && !cfg.deterministic && strcmp(cfg.scenario, "list") != 0) {
		fprintf(stderr, "luxsim: --sim needs --seed N (or --seeds A..B) so a failure can "
		                "be replayed\n");
		return 64;
	}
	if (cfg.scenario && cfg.commands) {
		fprintf(stderr, "luxsim: --sim and -c do not mix: a scenario replaces the shell\n");
		return 64;
	}
	if (cfg.serve && (cfg.commands || cfg.scenario || cfg.deterministic || cfg.no_listen)) {
		fprintf(stderr, "luxsim: --serve does not mix with %s\n",
		        cfg.commands        ? "-c: a service runs no shell"
		        : cfg.scenario      ? "--sim: a scenario replaces the server"
		        : cfg.deterministic ? "--seed: a deterministic run never listens"
		                            : "--no-listen: it would serve nothing");
		return 64;
	}
	if (cfg.nlisten == 0 && (cfg.commands || cfg.scenario))
		cfg.no_listen = 1;	/* a batch run needs no server of its own */
	cfg.quiet = verbose ? 0 : quiet || child || cfg.commands != NULL || cfg.scenario != NULL;
	hosted_boot(&cfg);
}
