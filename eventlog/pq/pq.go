// Package pq stores the event log and the runs table as Parquet files
// (layout and settings: docs/schema.md).
//
// Files are written to a temporary name next to the destination and renamed
// into place only once complete, so a file at the destination path is
// always a finished one, however the writing process ended (they are not
// fsynced: see atomicFile.commit).
// Output depends only on the input: writing the same events twice gives
// byte-identical files.
package pq

import (
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/internal/tablefile"
)

// Key-value metadata keys written into every file by this package.
const (
	// MetaSchemaVersion holds eventlog.SchemaVersion in decimal.
	MetaSchemaVersion = "ballast.schema_version"
	// MetaRunID holds the events file's run ID, so that it is known even
	// for a file without rows.
	MetaRunID = "ballast.run_id"
)

// Column names of the events file, in file order.
const (
	colRunID  = "run_id"
	colTimeUS = "time_us"
	colNode   = "node"
	colKind   = "kind"
	colTerm   = "term"
	colPeer   = "peer"
	colValue  = "value"
	colArm    = "arm"
	colMsgID  = "msg_id"
)

// batchRows is how many events are buffered before they are handed to the
// Parquet encoder: large enough to amortise the encoder's per-call cost,
// small enough to stay in cache-friendly territory (~4 MiB).
const batchRows = 64 << 10

// rowGroupRows is the row group length. Large row groups compress better
// and make scans cheaper; 1M rows of events is ~10 MiB of buffered pages.
const rowGroupRows = 1 << 20

// eventRow is one row of the events file as parquet-go writes it: the
// field order is the column order, and the tags give each column's
// encoding. Every column is required (no nulls): "none" is spelled -1 or
// 0, see docs/schema.md. node, peer and arm are INT(16) and INT(8) on
// INT32 columns, kind and run_id STRING.
//
// The settings were chosen by measurement on the synthetic heartbeat
// stream (BenchmarkWrite; numbers in docs/schema.md):
//   - every integer column is DELTA_BINARY_PACKED without a dictionary:
//     time_us and msg_id grow almost monotonically and node, peer, arm and
//     term change little from row to row, so deltas are small, and there is
//     no per-row hashing as with dictionaries;
//   - kind and run_id are dictionary encoded; their dictionaries hold the
//     values in order of first appearance, so a file does not depend on
//     kinds its run never logged;
//   - zstd at its fastest level (writerOptions): a third faster than the
//     default level for 5 % more bytes;
//   - DataPage V2 (levels uncompressed, pages self-describing) and 1M-row
//     row groups.
type eventRow struct {
	RunID  string `parquet:"run_id,dict"`
	TimeUS int64  `parquet:"time_us,delta"`
	Node   int16  `parquet:"node,delta"`
	Kind   string `parquet:"kind,dict"`
	Term   int64  `parquet:"term,delta"`
	Peer   int16  `parquet:"peer,delta"`
	Value  int64  `parquet:"value,delta"`
	Arm    int8   `parquet:"arm,delta"`
	MsgID  int64  `parquet:"msg_id,delta"`
}

// eventCodec is zstd at its fastest level. Codecs pool their encoders, so
// every writer shares one.
var eventCodec = &zstd.Codec{Level: zstd.SpeedFastest}

// writerOptions are the parquet-go settings of the events file (see
// eventRow). kind has no statistics: its min/max (alphabetical names)
// never prune anything. created_by names parquet-go's version
// (tablefile.CreatedBy): readers use it to decide which writer bugs to
// work around.
func writerOptions() []parquet.WriterOption {
	return []parquet.WriterOption{
		tablefile.CreatedBy,
		parquet.Compression(eventCodec),
		parquet.DataPageVersion(2),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.SkipPageStatistics(colKind),
	}
}

// kindNames maps Kind-1 to the stored name (Kind 0, invalid, is never
// written).
var kindNames = func() []string {
	ks := eventlog.Kinds()
	names := make([]string, len(ks))
	for i, k := range ks {
		if int(k) != i+1 {
			panic("pq: eventlog.Kinds is not 1..n")
		}
		names[i] = k.String()
	}
	return names
}()

// schemaVersion is eventlog.SchemaVersion as stored in metadata.
var schemaVersion = strconv.Itoa(eventlog.SchemaVersion)
