/*
 * --asm, --loops and the loop notes, as exact text, on the fake profile
 * with machine code (FAKE_CODE): hot's loop is the block 0x1020-0x1029 on
 * line 5, closed by the jl at 0x1027 (20 samples at 0x1020); line 4's
 * 0x1010 has 10; main (line 11, 10 samples at 0x1030) has hot's line 5
 * inlined at 0x1040 (10 samples).
 */
#include <check.h>

#include "../lp_check.h"
#include <unistd.h>

#include "fake.h"
#include "render.h"

static fake f;

static void setup(void)
{
	ck_assert_int_eq(fake_build_opts(&f, FAKE_CODE), LP_OK);
}

static void teardown(void)
{
	fake_free(&f);
}

static const char header50[] =
	"Timer unit: 1e-06 s\n"
	"\n"
	"Samples: 50 of cpu-clock at 1000 Hz (asked for cycles, not available here); "
	"CPU time 0.050 s, wall 0.060 s\n"
	"CPU: sampled user 0.050 s of task-clock 0.050 s; not attributed to a line: 0.000 s, "
	"all system time included: kernel mode was not sampled (Sys and Off-CPU need "
	"kernel.perf_event_paranoid <= 1 or root: sysctl -w kernel.perf_event_paranoid=1)\n"
	"\n";

static const char *fns_hot[] = { "hot" };

/*
 * -f hot --asm: hot's own code whole (its loop, jump targets, back edge,
 * hot marks, % of the 30 samples shown), then its copy inlined in main
 * alone, with the inline chain.
 */
START_TEST(test_asm_function)
{
	lp_view_opts o;
	char expect[8192], *got;

	lp_view_opts_init(&o);
	o.functions = fns_hot;
	o.nfunctions = 1;
	o.asm_view = 1;
	snprintf(expect, sizeof(expect),
		 "%s"
		 "Total time: 0.03 s\n"
		 "File: %s\n"
		 "Function: hot at line 1, machine code\n"
		 "Code: hot in prog, 0x1010-0x1014, 0x1020-0x102b, 0x1050-0x1051 (8 instructions)\n"
		 "Loops: 1 (lines 5-5)\n"
		 "\n"
		 "  Samples         Time   %% Time Loop    Address  Code\n"
		 "=====================================================\n"
		 "                                                 hot.c:4  \tfor (int i = 0; i < n; i++)\n"
		 "       10      10000.0     33.3       *   1010:  xor    %%eax, %%eax\n"
		 "                                          1012:  jmp    0x1020\n"
		 "                                                 hot.c:5  \t\ts += i * i;\n"
		 "       20      20000.0     66.7    1  *>  1020:  add    %%ecx, %%eax  # loop 1: lines 5-5\n"
		 "                                   1      1022:  add    $1, %%ecx\n"
		 "                                   1      1025:  cmp    %%edi, %%ecx\n"
		 "                                   1      1027:  jl     0x1020  # loop 1 back edge\n"
		 "                                          1029:  jmp    0x1050\n"
		 "                                                 hot.c:6  \treturn s;\n"
		 "                                       >  1050:  ret\n"
		 "\n"
		 "Total time: 0.01 s\n"
		 "File: %s\n"
		 "Function: hot at line 1, machine code (inlined)\n"
		 "Code: main in prog, 0x1030-0x1044 (3 instructions)\n"
		 "\n"
		 "  Samples         Time   %% Time Loop    Address  Code\n"
		 "=====================================================\n"
		 "                                                 hot.c:5  \t\ts += i * i;  "
		 "[in hot inlined at hot.c:11 in main]\n"
		 "       10      10000.0    100.0       *   1040:  imul   %%edi, %%eax\n"
		 "                                          1043:  ret\n"
		 "\n"
		 "  0.040000 seconds  80.0%%  %s:1 - hot\n",
		 header50, f.file, f.file, f.file);
	got = fake_render(&f, lp_render_table, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* --asm with the hottest lines: each line's sampled instructions, % of the program. */
START_TEST(test_asm_top)
{
	lp_view_opts o;
	char *got;
	const char *asm_part;
	static const char expect[] =
		"\nInstructions of the hottest lines (% Time: of the program):\n"
		"\n"
		"  Samples         Time   % Time Loop    Address  Code\n"
		"=====================================================\n"
		"                                                 hot.c:5  \t\ts += i * i;\n"
		"       20      20000.0     40.0    1  *>  1020:  add    %ecx, %eax  # loop 1: lines 5-5\n"
		"                                                 hot.c:5  \t\ts += i * i;  "
		"[in hot inlined at hot.c:11 in main]\n"
		"       10      10000.0     20.0       *   1040:  imul   %edi, %eax\n"
		"                                                 hot.c:4  \tfor (int i = 0; i < n; i++)\n"
		"       10      10000.0     20.0       *   1010:  xor    %eax, %eax\n"
		"                                                 hot.c:11  \treturn hot(1000);\n"
		"       10      10000.0     20.0       *   1030:  mov    $0x3e8, %edi\n"
		"\n"
		"Hint: lineprof -f hot ... shows every line of that function (or: lineprof annotate "
		"-f hot FILE.lprof)\n";

	lp_view_opts_init(&o);
	o.top = 3;
	o.asm_view = 1;
	got = fake_render(&f, lp_render_top, &o);
	asm_part = strstr(got, "\nInstructions of the hottest lines");
	ck_assert_msg(asm_part != NULL, "%s", got);
	ck_assert_str_eq(asm_part, expect);
	free(got);
}
END_TEST

/* --threshold: an instruction is hot ('*') above that share of the program. */
START_TEST(test_asm_threshold)
{
	lp_view_opts o;
	char *got;

	lp_view_opts_init(&o);
	o.functions = fns_hot;
	o.nfunctions = 1;
	o.asm_view = 1;
	o.threshold = 30;
	got = fake_render(&f, lp_render_table, &o);
	ck_assert_msg(strstr(got, "66.7    1  *>  1020:") != NULL, "40 %% is hot: %s", got);
	ck_assert_msg(strstr(got, "33.3           1010:") != NULL, "20 %% is not: %s", got);
	free(got);
}
END_TEST

static int count_notes(const char *s)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, "<==")) != NULL; p += 3)
		n++;
	return n;
}

/* The line table and the listing note the loop on its header line, with the --loops numbers. */
START_TEST(test_loop_notes)
{
	lp_view_opts o;
	char *got;
	static const char table_row[] =
		"     5        30      30000.0     75.0  \t\ts += i * i;  <== loop 5-5: 40.0 % (0.02 s), "
		"self 40.0 %\n";
	static const char listing_row[] =
		"     5        30      30000.0     60.0           \t\ts += i * i;  <== loop 5-5: 40.0 % "
		"(0.02 s), self 40.0 %\n";

	lp_view_opts_init(&o);
	o.functions = fns_hot;
	o.nfunctions = 1;
	got = fake_render(&f, lp_render_table, &o);
	ck_assert_msg(strstr(got, table_row) != NULL, "%s", got);
	ck_assert_int_eq(count_notes(got), 1);
	free(got);
	o.nfunctions = 0;
	o.listing = 1;
	got = fake_render(&f, lp_render_listing, &o);
	ck_assert_msg(strstr(got, listing_row) != NULL, "%s", got);
	free(got);
}
END_TEST

START_TEST(test_loops_view)
{
	lp_view_opts o;
	char expect[4096], *got, where[256];

	lp_view_opts_init(&o);
	o.loops_view = 1;
	snprintf(where, sizeof(where), "%s:5-5", f.file);
	snprintf(expect, sizeof(expect),
		 "%s"
		 "Hottest loops of the program (1 of 1 loops with samples):\n"
		 "Total: with nested loops, inlined code (no call stacks: callees not counted); "
		 "Self: the loop's own instructions; %% of the program\n"
		 "\n"
		 "   #   Samples  Total %%   Self %%      Total s       Self s Parent Depth  %-*s Header  Function\n"
		 "%.*s\n"
		 "   1        20     40.0     40.0     0.020000     0.020000            1  %s      5  hot\n"
		 "\n",
		 header50, (int)strlen(where), "Lines",
		 (int)(4 + 10 + 9 + 9 + 13 + 13 + 7 + 5 + 2 + strlen(where) + 7 + 2 + 8),
		 "====================================================================================="
		 "====================================================================================="
		 "=====================================================================================",
		 where);
	got = fake_render(&f, lp_render_loops, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* --loops --csv: the loop columns, empty on lines; a row per loop after the lines. */
START_TEST(test_csv_loops)
{
	lp_view_opts o;
	char expect[1024], *got;

	lp_view_opts_init(&o);
	o.loops_view = 1;
	got = fake_render(&f, lp_render_csv, &o);
	ck_assert_msg(strncmp(got, "file,line,function,samples,time_s,percent,percent_of_function,"
				   "ci_low,ci_high,sys_s,off_cpu_s,wall_s,sys_samples,off_cpu_count,"
				   "off_blocked_s,off_runnable_s,wait,incl_wall_s,cpu-clock,linkage_name,kind,"
				   "loop,first_line,last_line,header_line,depth,parent,self_samples,"
				   "self_time_s,self_percent\r\n", 290) == 0,
		      "%s", got);
	snprintf(expect, sizeof(expect), "%s,5,hot,30,0.030000000,60.000000,75.000000,46.181438,"
		 "72.391610,,,,,,,,,,30000000,_Z3hoti,line,,,,,,,,,\r\n", f.file);
	ck_assert_msg(strstr(got, expect) != NULL, "%s", got);
	snprintf(expect, sizeof(expect), "%s,5,hot,20,0.020000000,40.000000,,27.608390,53.818562,"
		 ",,,,,,,,,20000000,,loop,0,5,5,5,1,,20,0.020000000,40.000000\r\n", f.file);
	ck_assert_msg(strlen(got) > strlen(expect) &&
		      strcmp(got + strlen(got) - strlen(expect), expect) == 0, "%s", got);
	free(got);
	/* Without --loops the CSV is the lines' alone, as before. */
	o.loops_view = 0;
	got = fake_render(&f, lp_render_csv, &o);
	ck_assert_ptr_null(strstr(got, "kind"));
	ck_assert_ptr_null(strstr(got, "loop"));
	free(got);
}
END_TEST

START_TEST(test_json_loops)
{
	lp_view_opts o;
	char expect[1024], *got;

	lp_view_opts_init(&o);
	snprintf(expect, sizeof(expect),
		 "  \"loops\": [\n"
		 "    {\"file\": \"%s\", \"first_line\": 5, \"last_line\": 5, \"header_line\": 5, "
		 "\"function\": \"hot\", \"depth\": 1, \"parent\": null, \"samples\": 20, "
		 "\"time_s\": 0.020000000, \"percent\": 40.000000, \"self_samples\": 20, "
		 "\"self_time_s\": 0.020000000, \"self_percent\": 40.000000, \"self_values\": [20000000], "
		 "\"copies\": 1, \"module\": \"/nonexistent/prog\", \"header_address\": \"0x1020\"}\n"
		 "  ],\n"
		 "  \"lines\": [\n", f.file);
	got = fake_render(&f, lp_render_json, &o);
	ck_assert_msg(strstr(got, expect) != NULL, "%s", got);
	free(got);
	/* -f main: main has no loop of its own (hot's inlined copy has none either). */
	o.functions = (const char *[]){ "main" };
	o.nfunctions = 1;
	got = fake_render(&f, lp_render_json, &o);
	ck_assert_msg(strstr(got, "  \"loops\": [],\n") != NULL, "%s", got);
	free(got);
}
END_TEST

/* With code, a call's target is the callee's entry; the call site is its instruction. */
START_TEST(test_callgrind_addresses)
{
	lp_view_opts o;
	char *got;

	lp_view_opts_init(&o);
	got = fake_render(&f, lp_render_callgrind, &o);
	ck_assert_msg(strstr(got, "\npositions: instr line\n") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "fn=hot\n0x1010 4 10000000 10\n0x1020 5 20000000 20\n") != NULL,
		      "%s", got);
	ck_assert_msg(strstr(got, "cfn=hot\ncalls=10 0x1010 1\n0x1040 11 10000000 10\n") != NULL,
		      "%s", got);
	free(got);
}
END_TEST

static int code_arm(void *ctx, lp_loc loc, const lp_fcode **out, const char **arch)
{
	(void)ctx;
	(void)loc;
	*out = NULL;
	*arch = "aarch64";
	return LP_CODE_UNSUPPORTED;
}

/* Code lineprof cannot disassemble: one line that says so, and no loops anywhere. */
START_TEST(test_unsupported)
{
	lp_render_ctx ctx = { .rep = &f.rep, .color = 0 };
	lp_view_opts o;
	lp_error err = { 0 };
	char *buf = NULL, *dbuf = NULL;
	size_t len = 0, dlen = 0;
	FILE *out = open_memstream(&buf, &len), *diag = open_memstream(&dbuf, &dlen);

	lp_view_opts_init(&o);
	o.functions = fns_hot;
	o.nfunctions = 1;
	o.asm_view = 1;
	o.diag = diag;
	ctx.opts = &o;
	ctx.src = lp_sources_new(NULL, 0, NULL);
	f.rep.sym.code = code_arm;
	ck_assert_int_eq(lp_report_select(&f.rep, o.functions, o.nfunctions, 0, &err), LP_OK);
	ck_assert_int_eq(lp_render_table(&ctx, out, &err), LP_OK);
	o.asm_view = 0;
	o.loops_view = 1;
	ck_assert_int_eq(lp_render_loops(&ctx, out, &err), LP_OK);
	fclose(out);
	fclose(diag);
	lp_sources_free(ctx.src);
	ck_assert_str_eq(dbuf, "lineprof: --asm is not supported yet on this architecture (aarch64)\n"
			       "lineprof: loops are not supported yet on this architecture (aarch64)\n");
	ck_assert_msg(strstr(buf, "Hottest loops of the program (0 of 0 loops with samples)") != NULL,
		      "%s", buf);
	free(buf);
	free(dbuf);
}
END_TEST

/* Without code (a saved profile whose binary is gone): said, not an empty table. */
START_TEST(test_no_code)
{
	lp_view_opts o;
	char *got;

	fake_free(&f);
	ck_assert_int_eq(fake_build_opts(&f, 0), LP_OK);
	lp_view_opts_init(&o);
	o.functions = fns_hot;
	o.nfunctions = 1;
	o.asm_view = 1;
	got = fake_render(&f, lp_render_table, &o);
	ck_assert_msg(strstr(got, "Function: hot, machine code: no samples in code that lineprof "
				  "can read (the binary is gone, or has no symbols for it)\n") != NULL,
		      "%s", got);
	free(got);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("render-asm");
	TCase *tc = tcase_create("asm");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_asm_function);
	tcase_add_test(tc, test_asm_top);
	tcase_add_test(tc, test_asm_threshold);
	tcase_add_test(tc, test_loop_notes);
	tcase_add_test(tc, test_loops_view);
	tcase_add_test(tc, test_csv_loops);
	tcase_add_test(tc, test_json_loops);
	tcase_add_test(tc, test_callgrind_addresses);
	tcase_add_test(tc, test_unsupported);
	tcase_add_test(tc, test_no_code);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return lp_check_run(suite());
}
