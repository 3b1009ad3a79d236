#!/usr/bin/env bash
# Run every attack against one luxsim, each bounded: tests/attacks/run_all.sh PATH/TO/luxsim
set -u
cd "$(dirname "$0")"
L=${1:?luxsim}
for a in a_workers b_peer_pages c_replywait d_churn e_fresh g_two_peers h_token_slots i_hash_sessions j_pipes k_console l_none_keys m_status n_audit; do
	echo "=== $a"
	timeout 120 python3 $a.py "$L"
	echo "=== $a: rc $?"
done
