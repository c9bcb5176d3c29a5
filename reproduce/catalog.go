package reproduce

// Experiments lists every experiment the reproduction runs, in the order it
// runs them, with its quick-mode settings. The full mode runs each file's
// seed sets whole: 30 report seeds for the main scenario and 10 for every
// other experiment (the BALLAST paper's counts; the Dynatune paper ran each
// experiment once, and each of our runs is its whole schedule), tuning on 10.
//
// Quick mode (make reproduce-quick, CI) keeps the pipeline and cuts the
// cost: a prefix of the seeds, tuning on 2-3 seeds, and the two
// 1000-failure Dynatune scenarios cut to their first 100 failures.
var Experiments = []*Experiment{
	{Name: "ballast_main", QuickReport: 5, QuickTuning: 3},
	{Name: "ballast_scenarios", QuickReport: 3, QuickTuning: 2},
	{Name: "ballast_ablation", QuickReport: 3},
	{Name: "ballast_sensitivity", QuickReport: 3},
	{Name: "ballast_cross_scenario", QuickReport: 3},
	{Name: "ballast_large_n", QuickReport: 3},
	{Name: "ballast_timer_alignment", QuickReport: 3},
	{Name: "ballast_cold_start", QuickReport: 3},
	// 100 failures 20 s apart after the first at 20 s: 2020 s.
	{Name: "dynatune_fig4", QuickReport: 2, QuickMaxDurationS: 2020, TraceBinS: 100},
	{Name: "dynatune_fig6", QuickReport: 2, TraceBinS: 1},
	{Name: "dynatune_fig6_raftlow", QuickReport: 2, TraceBinS: 1},
	{Name: "dynatune_fig7", QuickReport: 1, TraceBinS: 10},
	{Name: "dynatune_fig8", QuickReport: 2, QuickMaxDurationS: 2020, TraceBinS: 100},
	{Name: "blog_table", QuickReport: 3},
	// Training is part of the experiment; quick mode trains on one seed
	// (one more validates) and cuts the 2340 s loss scenario to 240 s.
	{Name: "neurosym", QuickReport: 2, QuickTuning: 2, QuickMaxDurationS: 240, Train: true},
}

// Catalog maps every table and figure of the sources that the simulator
// reproduces to its experiment, its published numbers and its builder, in
// the order of the report.
var Catalog = []*Artifact{
	// BALLAST, main scenario (ballast_main).
	{ID: "ballast_table1", Doc: "BALLAST", Label: "Table 1", Title: "main scenario: recovery and unwritable fraction per method",
		Experiments: []string{"ballast_main"}, Published: []string{"ballast_table1"}, Build: buildTable1},
	{ID: "ballast_table_a1", Doc: "BALLAST", Label: "Table A.1", Title: "main scenario: tail recovery, worst per-seed values",
		Experiments: []string{"ballast_main"}, Published: []string{"ballast_table_a1", "ballast_table1"}, Build: buildTableA1},
	{ID: "ballast_figure1", Doc: "BALLAST", Label: "Figure 1", Title: "main scenario: recovery-time CDF per method",
		Experiments: []string{"ballast_main"}, Build: buildFigure1},
	{ID: "ballast_figure2", Doc: "BALLAST", Label: "Figure 2", Title: "main scenario: unwritable fraction per method",
		Experiments: []string{"ballast_main"}, Build: buildFigure2},
	{ID: "ballast_figure3", Doc: "BALLAST", Label: "Figure 3", Title: "main scenario: time-to-leader CDF per method",
		Experiments: []string{"ballast_main"}, Build: buildFigure3},
	{ID: "ballast_table_a11", Doc: "BALLAST", Label: "Table A.11", Title: "tuned baseline parameters per scenario",
		Experiments: []string{"ballast_main", "ballast_scenarios"}, Published: []string{"ballast_table_a11"}, Build: buildTableA11},
	{ID: "ballast_table_a14", Doc: "BALLAST", Label: "Table A.14", Title: "main scenario: safety-cooldown episodes and overlap",
		Experiments: []string{"ballast_main"}, Published: []string{"ballast_table_a14"}, Build: buildTableA14},
	{ID: "ballast_table_a15", Doc: "BALLAST", Label: "Table A.15", Title: "main scenario: failure causes of failed elections",
		Experiments: []string{"ballast_main"}, Published: []string{"ballast_table_a15"}, Build: buildTableA15},
	{ID: "ballast_table_a16", Doc: "BALLAST", Label: "Table A.16", Title: "main scenario: arm-set sensitivity of BALLAST",
		Experiments: []string{"ballast_main"}, Published: []string{"ballast_table_a16"}, Build: buildTableA16},
	// BALLAST, additional scenarios (ballast_scenarios).
	{ID: "ballast_figure_a1", Doc: "BALLAST", Label: "Figure A.1", Title: "motivation regime shift: recovery-time comparison",
		Experiments: []string{"ballast_scenarios"}, Build: scenarioFigure("motivation_regime_shift", "cdf")},
	{ID: "ballast_figure_a2", Doc: "BALLAST", Label: "Figure A.2", Title: "partition recovery turbulence: recovery-time comparison",
		Experiments: []string{"ballast_scenarios"}, Build: scenarioFigure("partition_recovery", "cdf")},
	{ID: "ballast_figure_a3", Doc: "BALLAST", Label: "Figure A.3", Title: "stable WAN no-regression: unwritable fraction",
		Experiments: []string{"ballast_scenarios"}, Build: scenarioFigure("wan_stable", "bars")},
	{ID: "ballast_figure_a4", Doc: "BALLAST", Label: "Figure A.4", Title: "LAN no-regression: unwritable fraction",
		Experiments: []string{"ballast_scenarios"}, Build: scenarioFigure("lan", "bars")},
	// BALLAST, ablations and sensitivity.
	{ID: "ballast_table6", Doc: "BALLAST", Label: "Table 6", Title: "ablations on the recovery-focused scenario, change relative to base",
		Experiments: []string{"ballast_ablation"}, Published: []string{"ballast_table6"}, Build: buildTable6},
	{ID: "ballast_table_a12", Doc: "BALLAST", Label: "Table A.12", Title: "one-parameter sensitivity of BALLAST, change relative to base",
		Experiments: []string{"ballast_sensitivity"}, Published: []string{"ballast_table_a12"}, Build: buildTableA12},
	{ID: "ballast_figure_a5", Doc: "BALLAST", Label: "Figure A.5", Title: "sensitivity to the reward weights (our reading of the lost figure)",
		Experiments: []string{"ballast_sensitivity"}, Build: buildFigureA5},
	{ID: "ballast_figure_a6", Doc: "BALLAST", Label: "Figure A.6", Title: "sensitivity to exploration, discount and the safety threshold (our reading of the lost figure)",
		Experiments: []string{"ballast_sensitivity"}, Build: buildFigureA6},
	{ID: "ballast_table_a13", Doc: "BALLAST", Label: "Table A.13", Title: "cross-scenario deltas of three ablation variants",
		Experiments: []string{"ballast_cross_scenario"}, Published: []string{"ballast_table_a13"}, Build: buildTableA13},
	// BALLAST, appendix experiments.
	{ID: "ballast_table_a6", Doc: "BALLAST", Label: "Table A.6", Title: "main scenario with N = 15",
		Experiments: []string{"ballast_large_n"}, Published: []string{"ballast_table_a6"}, Build: largeN("wan_main_n15", "ballast_table_a6")},
	{ID: "ballast_table_a7", Doc: "BALLAST", Label: "Table A.7", Title: "main scenario with N = 21",
		Experiments: []string{"ballast_large_n"}, Published: []string{"ballast_table_a7"}, Build: largeN("wan_main_n21", "ballast_table_a7")},
	{ID: "ballast_table_a8", Doc: "BALLAST", Label: "Table A.8", Title: "timer-alignment stress: arms narrowed to 1 ms, no jitter floor",
		Experiments: []string{"ballast_timer_alignment"}, Published: []string{"ballast_table_a8"}, Build: alignment("stress", "ballast_table_a8")},
	{ID: "ballast_table_a9", Doc: "BALLAST", Label: "Table A.9", Title: "timer-alignment mitigation: minimum jitter width",
		Experiments: []string{"ballast_timer_alignment"}, Published: []string{"ballast_table_a9", "ballast_table_a8"}, Build: alignment("floor", "ballast_table_a9")},
	{ID: "ballast_table_a10", Doc: "BALLAST", Label: "Table A.10", Title: "cold start: reset on restart",
		Experiments: []string{"ballast_cold_start"}, Published: []string{"ballast_table_a10"}, Build: buildTableA10},
	// Dynatune.
	{ID: "dynatune_figure4", Doc: "Dynatune", Label: "Figure 4", Title: "stable network, 1000 leader failures: detection, election and out-of-service time",
		Experiments: []string{"dynatune_fig4"}, Published: []string{"dynatune_fig4_stable"}, Build: failover("dynatune_fig4", "dynatune_stable", "dynatune_fig4_stable", true)},
	{ID: "dynatune_figure6", Doc: "Dynatune", Label: "Figure 6", Title: "RTT fluctuations: quorum-th smallest election timeout and out-of-service periods",
		Experiments: []string{"dynatune_fig6", "dynatune_fig6_raftlow"}, Published: []string{"dynatune_fig6_rtt"}, Build: buildFigure6},
	{ID: "dynatune_figure7", Doc: "Dynatune", Label: "Figure 7", Title: "loss fluctuations at N = 5, 17, 65: heartbeat interval and leader heartbeat rate, Fix-K vs Dynatune",
		Experiments: []string{"dynatune_fig7"}, Published: []string{"dynatune_fig7_loss"}, Build: buildFigure7},
	{ID: "dynatune_figure8", Doc: "Dynatune", Label: "Figure 8", Title: "five AWS regions, 1000 leader failures: detection and out-of-service time",
		Experiments: []string{"dynatune_fig8"}, Published: []string{"dynatune_fig8_geo"}, Build: failover("dynatune_fig8", "dynatune_geo", "dynatune_fig8_geo", false)},
	// The blog.
	{ID: "blog_rust_table", Doc: "Blog", Label: "Simulation Results table", Title: "total unavailability per scenario, Random vs BALLAST",
		Experiments: []string{"blog_table"}, Published: []string{"blog_rust_table"}, Build: buildBlogTable},
	// The neuro-symbolic post.
	{ID: "neurosym_claims", Doc: "Neuro-symbolic post", Label: "claims", Title: "a 17K-parameter LSTM with guardrails vs standard Raft, backoff, Dynatune and BALLAST",
		Experiments: []string{"neurosym"}, Published: []string{"neurosym_claims"}, Build: buildNeurosym},
}
