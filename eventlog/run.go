package eventlog

import "encoding/json"

// RunInfo is one row of the runs table: everything needed to tell which
// inputs produced a run's events. Run IDs are derived from these inputs
// (harness.RunID), so equal inputs give equal IDs in any process. The
// `col` tags are the runs table's columns, in file order
// (docs/schema.md); an events file also carries its RunInfo as JSON in its
// metadata ("ballast.run"), and a sweep's manifest entries do too, with the
// same snake_case names.
type RunInfo struct {
	RunID         string `col:"run_id" json:"run_id"`
	Experiment    string `col:"experiment" json:"experiment"`       // experiment file name ("" for a single 'ballast sim' run)
	Scenario      string `col:"scenario" json:"scenario"`           // scenario name
	ScenarioHash  string `col:"scenario_hash" json:"scenario_hash"` // hash of the scenario's canonical content
	Policy        string `col:"policy" json:"policy"`
	Variant       string `col:"variant" json:"variant"` // the experiment's name for this parameter variant ("" = the policy's defaults or a single run)
	Params        string `col:"params" json:"params"`   // the policy's resolved parameters, canonical "k=v" list joined by ";"
	Seed          uint64 `col:"seed" json:"seed"`
	SeedSet       string `col:"seed_set" json:"seed_set"`         // label of the seed set the seed came from ("" for a single run)
	Engine        string `col:"engine" json:"engine"`             // "fast" or "etcd"
	ConfigHash    string `col:"config_hash" json:"config_hash"`   // hash over scenario content, policy, params, engine and schema version
	CodeVersion   string `col:"code_version" json:"code_version"` // the simulation code's identity (sim-..., a content hash of its sources)
	SchemaVersion int64  `col:"schema_version" json:"schema_version"`
	Nodes         int64  `col:"nodes" json:"nodes"`
	DurationUS    int64  `col:"duration_us" json:"duration_us"`   // simulated run length
	HeartbeatUS   int64  `col:"heartbeat_us" json:"heartbeat_us"` // the run's base heartbeat interval: its scenario's, or its variant's raft.heartbeat_ms
	Events        int64  `col:"events" json:"events"`             // rows in the run's event file
}

// UnmarshalJSON reads a RunInfo written with the column names, or by
// ballast before December 2026 with the Go field names (RunID, ...), so
// that older events files and manifests still read.
func (r *RunInfo) UnmarshalJSON(data []byte) error {
	type current RunInfo // without this method
	var c current
	if err := json.Unmarshal(data, &c); err != nil {
		return err
	}
	if c.RunID == "" {
		// Field names: an alias type without json tags.
		var legacy struct {
			RunID, Experiment, Scenario, ScenarioHash, Policy, Variant, Params string
			Seed                                                               uint64
			SeedSet, Engine, ConfigHash, CodeVersion                           string
			SchemaVersion, Nodes, DurationUS, HeartbeatUS, Events              int64
		}
		if err := json.Unmarshal(data, &legacy); err == nil && legacy.RunID != "" {
			*r = RunInfo(legacy)
			return nil
		}
	}
	*r = RunInfo(c)
	return nil
}
