// Prints what DuckDB, a reader independent of arrow-go, sees in a Parquet
// file: column names and types, row count, key-value metadata under
// "ballast.", every row (values as strings, so 64-bit integers survive
// JSON, NULL as null), the NULLs per column, and a count per kind if the file has a kind column.
// Used by ../../duckdb_test.go; install with
//   npm ci --prefix eventlog/pq/testdata/duckdb
//
// usage: node inspect.mjs FILE.parquet
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
if (!file) {
  console.error('usage: node inspect.mjs FILE.parquet');
  process.exit(2);
}
const lit = "'" + file.replaceAll("'", "''") + "'";

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const rows = async (sql) => (await conn.runAndReadAll(sql)).getRows();
const str = (v) => (v === null ? null : String(v));

const out = {};
out.columns = (await rows(`DESCRIBE SELECT * FROM read_parquet(${lit})`)).map((r) => [r[0], r[1]]);
out.count = Number((await rows(`SELECT count(*) FROM read_parquet(${lit})`))[0][0]);
out.metadata = Object.fromEntries(
  (await rows(
    `SELECT decode(key), decode(value) FROM parquet_kv_metadata(${lit}) WHERE decode(key) LIKE 'ballast.%' ORDER BY 1`,
  )).map((r) => [r[0], r[1]]),
);
out.nulls = Object.fromEntries(
  await Promise.all(out.columns.map(async (c) => {
    const q = '"' + c[0].replaceAll('"', '""') + '"';
    return [c[0], Number((await rows(`SELECT count(*) - count(${q}) FROM read_parquet(${lit})`))[0][0])];
  })),
);
out.rows = (await rows(`SELECT * FROM read_parquet(${lit})`)).map((r) => r.map(str));
if (out.columns.some((c) => c[0] === 'kind')) {
  out.kinds = Object.fromEntries(
    (await rows(`SELECT kind, count(*) FROM read_parquet(${lit}) GROUP BY kind`)).map((r) => [r[0], Number(r[1])]),
  );
}
console.log(JSON.stringify(out));
