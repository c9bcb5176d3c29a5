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
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ballast-bench/ballast/eventlog"
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
// Parquet encoder: large enough to amortise the per-batch overhead of
// pqarrow, small enough to stay in cache-friendly territory (~2.5 MiB).
const batchRows = 64 << 10

// rowGroupRows is the row group length. Large row groups compress better
// and make scans cheaper; 1M rows of events is ~10 MiB of buffered pages.
const rowGroupRows = 1 << 20

// dictString is the Arrow type of the run_id and kind columns as written.
// Writing dictionary arrays lets the encoder take our int8 indices as they
// are, instead of hashing a string per row; the file holds an ordinary
// dictionary-encoded string column (BYTE_ARRAY, logical type STRING), which
// every reader sees as plain strings (see arrowProps).
var dictString = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}

// eventSchema is the Arrow schema of the events file. Every column is
// required (no nulls): "none" is spelled -1 or 0, see docs/schema.md.
var eventSchema = arrow.NewSchema([]arrow.Field{
	{Name: colRunID, Type: dictString},
	{Name: colTimeUS, Type: arrow.PrimitiveTypes.Int64},
	{Name: colNode, Type: arrow.PrimitiveTypes.Int16},
	{Name: colKind, Type: dictString},
	{Name: colTerm, Type: arrow.PrimitiveTypes.Int64},
	{Name: colPeer, Type: arrow.PrimitiveTypes.Int16},
	{Name: colValue, Type: arrow.PrimitiveTypes.Int64},
	{Name: colArm, Type: arrow.PrimitiveTypes.Int8},
	{Name: colMsgID, Type: arrow.PrimitiveTypes.Int64},
}, nil)

// eventProps are the Parquet settings of the events file, chosen by
// measurement on the synthetic heartbeat stream (BenchmarkWrite; numbers in
// docs/schema.md):
//   - every integer column is DELTA_BINARY_PACKED without a dictionary:
//     time_us and msg_id grow almost monotonically and node, peer, arm and
//     term change little from row to row, so deltas are small, and there is
//     no per-row hashing as with dictionaries (with the zstd level below:
//     ~1.7x the write speed of dictionaries on the small columns, ~2.5x that
//     of all-dictionary defaults, for 7-11 % more bytes);
//   - kind and run_id are dictionary encoded straight from our Arrow
//     dictionary arrays; kind has no statistics, since its min/max
//     (alphabetical names) never prune anything and cost a pass per batch;
//   - zstd at level 1 ("fastest"): a third faster than the default level
//     for 5 % more bytes;
//   - DataPage V2 (levels uncompressed, pages self-describing) and 1M-row
//     row groups.
//
// created_by stays parquet-go's default ("parquet-go version 18.x.y"): it
// is deterministic, and readers use it to decide which writer bugs to work
// around.
func eventProps() *parquet.WriterProperties {
	opts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(1),
		parquet.WithDataPageVersion(parquet.DataPageV2),
		parquet.WithMaxRowGroupLength(rowGroupRows),
		parquet.WithBatchSize(batchRows),
		parquet.WithStatsFor(colKind, false),
	}
	for _, f := range eventSchema.Fields() {
		if f.Type.ID() != arrow.DICTIONARY {
			opts = append(opts,
				parquet.WithDictionaryFor(f.Name, false),
				parquet.WithEncodingFor(f.Name, parquet.Encodings.DeltaBinaryPacked))
		}
	}
	return parquet.NewWriterProperties(opts...)
}

// arrowProps deliberately leaves out WithStoreSchema: a stored Arrow schema
// would say that run_id and kind are dictionaries, and Arrow-based readers
// (pyarrow, so pandas; arrow-go) would then return them as dictionary /
// categorical columns instead of strings. The Parquet logical types already
// carry everything else (INT(8), INT(16), STRING).
func arrowProps() pqarrow.ArrowWriterProperties {
	return pqarrow.NewArrowWriterProperties()
}

// kindNames maps Kind-1 to the stored name (Kind 0, invalid, is never
// written); it is the dictionary of the kind column, indexed by int8.
var kindNames = func() []string {
	ks := eventlog.Kinds()
	if len(ks) > math.MaxInt8+1 {
		panic("pq: too many kinds for int8 dictionary indices")
	}
	names := make([]string, len(ks))
	for i, k := range ks {
		if int(k) != i+1 {
			panic("pq: eventlog.Kinds is not 1..n")
		}
		names[i] = k.String()
	}
	return names
}()

// kindDicts are the kind dictionaries of the generations of the kind list
// (eventlog.KindGenerations), each a prefix of kindNames. An events file
// starts with the oldest and moves to the oldest one that holds a batch's
// kinds, so the files of runs without a generation's kinds are byte for
// byte what they were before those kinds existed.
var kindDicts = func() [][]string {
	out := make([][]string, len(eventlog.KindGenerations))
	for i, last := range eventlog.KindGenerations {
		out[i] = kindNames[:last]
	}
	return out
}()

// schemaVersion is eventlog.SchemaVersion as stored in metadata.
var schemaVersion = strconv.Itoa(eventlog.SchemaVersion)
