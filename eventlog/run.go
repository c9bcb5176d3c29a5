package eventlog

// RunInfo is one row of the runs table: everything needed to tell which
// inputs produced a run's events. Run IDs are derived from these inputs
// (harness.RunID), so equal inputs give equal IDs in any process.
type RunInfo struct {
	RunID         string
	Experiment    string // experiment file name ("" for a single 'ballast sim' run)
	Scenario      string // scenario name
	ScenarioHash  string // hash of the scenario's canonical content
	Policy        string
	Variant       string // the experiment's name for this parameter variant ("" = the policy's defaults or a single run)
	Params        string // the policy's resolved parameters, canonical "k=v" list joined by ";"
	Seed          uint64
	SeedSet       string // label of the seed set the seed came from ("" for a single run)
	Engine        string // "fast" or "etcd"
	ConfigHash    string // hash over scenario content, policy, params, engine and schema version
	CodeVersion   string // module version and VCS revision of the binary
	SchemaVersion int64
	Nodes         int64
	DurationUS    int64 // simulated run length
	HeartbeatUS   int64 // the scenario's base heartbeat interval
	Events        int64 // rows in the run's event file
}
