package eventlog

// RunInfo is one row of the runs table: everything needed to tell which
// inputs produced a run's events. Run IDs are derived from these inputs
// (harness.RunID), so equal inputs give equal IDs in any process. The
// `col` tags are the runs table's columns, in file order
// (docs/schema.md); an events file also carries its RunInfo as JSON in its
// metadata, keyed by the field names.
type RunInfo struct {
	RunID         string `col:"run_id"`
	Experiment    string `col:"experiment"`    // experiment file name ("" for a single 'ballast sim' run)
	Scenario      string `col:"scenario"`      // scenario name
	ScenarioHash  string `col:"scenario_hash"` // hash of the scenario's canonical content
	Policy        string `col:"policy"`
	Variant       string `col:"variant"` // the experiment's name for this parameter variant ("" = the policy's defaults or a single run)
	Params        string `col:"params"`  // the policy's resolved parameters, canonical "k=v" list joined by ";"
	Seed          uint64 `col:"seed"`
	SeedSet       string `col:"seed_set"`     // label of the seed set the seed came from ("" for a single run)
	Engine        string `col:"engine"`       // "fast" or "etcd"
	ConfigHash    string `col:"config_hash"`  // hash over scenario content, policy, params, engine and schema version
	CodeVersion   string `col:"code_version"` // module version and VCS revision of the binary
	SchemaVersion int64  `col:"schema_version"`
	Nodes         int64  `col:"nodes"`
	DurationUS    int64  `col:"duration_us"`  // simulated run length
	HeartbeatUS   int64  `col:"heartbeat_us"` // the scenario's base heartbeat interval
	Events        int64  `col:"events"`       // rows in the run's event file
}
