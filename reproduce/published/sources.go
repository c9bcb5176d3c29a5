package published

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Reference is one source document: a paper or post that ballast
// implements or reproduces. A published file names its source by Key
// (source.cite); docs/sources.md and the report's bibliography list them.
type Reference struct {
	Key     string // short key, cited as [Key]
	Authors string
	Title   string
	Venue   string // where it appeared
	Year    int    // 0: not dated (printed "n.d.")
	URL     string
	Note    string // what ballast takes from it
}

// Sources are the documents ballast implements and reproduces. The
// numbers they print are reference data (configs/published/), never
// inputs.
var Sources = []Reference{
	{Key: "ballast", Authors: "Qizhi Wang", Title: "BALLAST: Bandit-Assisted Learning for Latency-Aware Stable Timeouts in Raft",
		Venue: "arXiv:2512.21165 [cs.LG]", Year: 2025, URL: "https://arxiv.org/abs/2512.21165",
		Note: "the LinUCB policies, the baselines, the scenarios, the metrics, the tables and the ablations we reproduce"},
	{Key: "dynatune", Authors: "Kohya Shiozaki and Junya Nakamura", Title: "Dynatune: Dynamic Tuning of Raft Election Parameters Using Network Measurement",
		Venue: "IEEE International Parallel and Distributed Processing Symposium Workshops (IPDPSW); arXiv:2507.15154 [cs.DC]", Year: 2025, URL: "https://arxiv.org/abs/2507.15154",
		Note: "election timeout and heartbeat interval from heartbeat-measured RTT and loss; the detection and out-of-service experiments"},
	{Key: "mlog-ballast", Authors: "MLOG", Title: "Blog post on BALLAST with a Rust simulator (our copy has no title; also published in Polish)",
		Venue: "mllog.dev", URL: "https://mllog.dev/en/posts/ballast-contextual-bandits-raft-timeouts",
		Note: "a Rust simulator (github.com/mysma-9403/BALLAST-Simulator) and its six-scenario Random-vs-BALLAST table"},
	{Key: "neurosym-post", Authors: "Alex Chen (byline)", Title: "Optimizing Distributed Consensus with Neuro-Symbolic AI (blog post)",
		Venue: "csmx.cc", URL: "https://www.csmx.cc/392.html",
		Note: "a small LSTM with symbolic guardrails; its links (preprint, code, demo) and numbers are unverified claims"},
	{Key: "raft", Authors: "Diego Ongaro and John Ousterhout", Title: "In Search of an Understandable Consensus Algorithm",
		Venue: "USENIX Annual Technical Conference (ATC)", Year: 2014, URL: "https://www.usenix.org/conference/atc14/technical-sessions/presentation/ongaro",
		Note: "Raft: randomized election timeouts, the protocol every engine runs"},
	{Key: "etcd-raft", Authors: "The etcd authors", Title: "go.etcd.io/raft/v3: the Raft library of etcd",
		Venue: "software, v3.7", URL: "https://github.com/etcd-io/raft",
		Note: "the production Raft implementation the etcd engine runs in virtual time"},
}

// Cite finds a source by key.
func Cite(key string) (Reference, bool) {
	i := slices.IndexFunc(Sources, func(r Reference) bool { return r.Key == key })
	if i < 0 {
		return Reference{}, false
	}
	return Sources[i], true
}

// SourceKeys lists the keys, in bibliography order.
func SourceKeys() []string {
	keys := make([]string, len(Sources))
	for i, r := range Sources {
		keys[i] = r.Key
	}
	return keys
}

// String is the reference as one bibliography line in Markdown.
func (r Reference) String() string {
	year := "n.d."
	if r.Year != 0 {
		year = strconv.Itoa(r.Year)
	}
	return fmt.Sprintf("[%s] %s (%s). *%s*. %s. <%s>", r.Key, r.Authors, year, strings.TrimSuffix(r.Title, "."), r.Venue, r.URL)
}
