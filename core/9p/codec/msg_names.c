/* Message-type and dialect names, for traces and error sentences. */
#include <lux/9p.h>

/* clang-format off */
static const char *const names[256] = {
	[P9_RLERROR] = "Rlerror",
	[P9_TSTATFS] = "Tstatfs", [P9_RSTATFS] = "Rstatfs",
	[P9_TLOPEN] = "Tlopen", [P9_RLOPEN] = "Rlopen",
	[P9_TLCREATE] = "Tlcreate", [P9_RLCREATE] = "Rlcreate",
	[P9_TSYMLINK] = "Tsymlink", [P9_RSYMLINK] = "Rsymlink",
	[P9_TMKNOD] = "Tmknod", [P9_RMKNOD] = "Rmknod",
	[P9_TRENAME] = "Trename", [P9_RRENAME] = "Rrename",
	[P9_TREADLINK] = "Treadlink", [P9_RREADLINK] = "Rreadlink",
	[P9_TGETATTR] = "Tgetattr", [P9_RGETATTR] = "Rgetattr",
	[P9_TSETATTR] = "Tsetattr", [P9_RSETATTR] = "Rsetattr",
	[P9_TXATTRWALK] = "Txattrwalk", [P9_RXATTRWALK] = "Rxattrwalk",
	[P9_TXATTRCREATE] = "Txattrcreate", [P9_RXATTRCREATE] = "Rxattrcreate",
	[P9_TREADDIR] = "Treaddir", [P9_RREADDIR] = "Rreaddir",
	[P9_TFSYNC] = "Tfsync", [P9_RFSYNC] = "Rfsync",
	[P9_TLOCK] = "Tlock", [P9_RLOCK] = "Rlock",
	[P9_TGETLOCK] = "Tgetlock", [P9_RGETLOCK] = "Rgetlock",
	[P9_TLINK] = "Tlink", [P9_RLINK] = "Rlink",
	[P9_TMKDIR] = "Tmkdir", [P9_RMKDIR] = "Rmkdir",
	[P9_TRENAMEAT] = "Trenameat", [P9_RRENAMEAT] = "Rrenameat",
	[P9_TUNLINKAT] = "Tunlinkat", [P9_RUNLINKAT] = "Runlinkat",
	[P9_TVERSION] = "Tversion", [P9_RVERSION] = "Rversion",
	[P9_TAUTH] = "Tauth", [P9_RAUTH] = "Rauth",
	[P9_TATTACH] = "Tattach", [P9_RATTACH] = "Rattach",
	[P9_RERROR] = "Rerror",
	[P9_TFLUSH] = "Tflush", [P9_RFLUSH] = "Rflush",
	[P9_TWALK] = "Twalk", [P9_RWALK] = "Rwalk",
	[P9_TOPEN] = "Topen", [P9_ROPEN] = "Ropen",
	[P9_TCREATE] = "Tcreate", [P9_RCREATE] = "Rcreate",
	[P9_TREAD] = "Tread", [P9_RREAD] = "Rread",
	[P9_TWRITE] = "Twrite", [P9_RWRITE] = "Rwrite",
	[P9_TCLUNK] = "Tclunk", [P9_RCLUNK] = "Rclunk",
	[P9_TREMOVE] = "Tremove", [P9_RREMOVE] = "Rremove",
	[P9_TSTAT] = "Tstat", [P9_RSTAT] = "Rstat",
	[P9_TWSTAT] = "Twstat", [P9_RWSTAT] = "Rwstat",
};
/* clang-format on */

const char *p9_type_name(unsigned type)
{
	if (type >= nelem(names) || !names[type])
		return "unknown";
	return names[type];
}

const char *p9_dialect_name(enum p9_dialect d)
{
	switch (d) {
	case P9_2000: return "9P2000";
	case P9_2000L: return "9P2000.L";
	default: return "unknown";
	}
}
