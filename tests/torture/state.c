/* SPDX-License-Identifier: MIT */
/* state.c — the run's configuration (options) and the state every process
 * shares: main() sets them up before it forks anything, the children inherit
 * them. Apart from main.c, so that the checker can be tested without the
 * supervisor (tests/unit/test_torture_checker.c). */
#include "torture.h"

const char *const viol_names[NVIOL] = {
	"duplicates",
	"out of bounds",
	"order violations",
	"lost acknowledged DDL",
	"values contradicting acknowledged DDL",
	"positions behind handed-out values",
	"gaps beyond the documented bound",
	"unexpected errors",
	"crashes (daemon or worker died by itself, daemon failed to start)",
};

const char *const path_names[NPATHS] = {"exec", "name", "name-batch", "handle", "batch", "leased"};

struct run run;

struct config cfg = {
	.duration = 60,
	.processes = 2,
	.threads = 2,
	.sequences = 8,
	.kill_min = 50,
	.kill_max = 500,
	.ckill_min = 500,
	.ckill_max = 2000,
	.ddl_min = 5,
	.ddl_max = 40,
	.down_max = 10,
	.client_kills = true,
	.ddl = true,
	.adopt = -1,
	.reserve_factor = 2,
	.paths = PATHS_ALL,
	.progress = 5,
};
