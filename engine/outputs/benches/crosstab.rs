//! Safe Outputs speed (issue 7): a crosstab of 1,000,000 records, mean with margins, checked
//! with ACRO's rules.
//!
//! The microdata are generated here, deterministically (splitmix64, fixed seed): three
//! categorical columns, `region` (12 values), `age_band` (8) and `grant_type` (6), and one
//! numeric, `income` (1 in 100 missing, 1 in 10,000 a large value). The output is
//! `{"method": "crosstab", "index": ["region", "age_band"], "columns": "grant_type",
//! "values": "income", "aggfunc": "mean", "margins": true}`: 96 rows and 6 columns, 679 cells
//! with the margins.
//!
//! Measured:
//! - `check from CSV bytes`: the whole `fivesafes_outputs::check` (parse the spec and risk
//!   appetite, read the CSV into columns, build the table, check every cell);
//! - `read CSV`: `Microdata::from_csv` alone (the four columns);
//! - `build + check from parsed microdata`: `Table::build` and `rules::check_table` on microdata
//!   already read.
//!
//! Run: `cargo bench -p fivesafes-outputs --bench crosstab`. With `OUTPUTS_BENCH_CSV=PATH` set,
//! the CSV is also written to PATH first (benches/outputs_vs_acro.sh times ACRO on that file).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "bench"
)]

use criterion::{Criterion, criterion_group};
use fivesafes_outputs::microdata::ReadOptions;
use fivesafes_outputs::rules;
use fivesafes_outputs::{Microdata, OutputSpec, RiskAppetite, Status, Table};
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

/// Records in the microdata.
const RECORDS: usize = 1_000_000;

/// The output checked.
const SPEC: &str = r#"{"method": "crosstab", "index": ["region", "age_band"], "columns": "grant_type", "values": "income", "aggfunc": "mean", "margins": true}"#;

/// splitmix64: a small, fixed, portable generator.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The microdata as CSV: `region,age_band,grant_type,income`.
fn microdata_csv() -> Vec<u8> {
    const AGE_BANDS: [&str; 8] = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+"];
    const GRANTS: [&str; 6] = ["arts", "health", "housing", "research", "sport", "youth"];
    let mut rng = SplitMix(0x5AFE_0075);
    let mut out = String::with_capacity(RECORDS * 32);
    out.push_str("region,age_band,grant_type,income\n");
    for _ in 0..RECORDS {
        let region = rng.below(12);
        let age = AGE_BANDS[rng.below(8) as usize];
        let grant = GRANTS[rng.below(6) as usize];
        // Skewed incomes in pence, shown in pounds: most 5,000-60,000, 1 in 10,000 a dominant
        // 5,000,000; 1 in 100 missing.
        let roll = rng.below(10_000);
        let _ = write!(out, "R{region:02},{age},{grant},");
        if roll < 100 {
            out.push('\n');
            continue;
        }
        let spread = rng.below(5_500_000) + 1;
        let pence = if roll == 9_999 { 500_000_000 } else { 500_000 + rng.below(spread) };
        let _ = writeln!(out, "{}.{:02}", pence / 100, pence % 100);
    }
    out.into_bytes()
}

fn crosstab(c: &mut Criterion) {
    let csv = microdata_csv();
    if let Some(path) = std::env::var_os("OUTPUTS_BENCH_CSV") {
        std::fs::write(&path, &csv).unwrap();
        eprintln!("wrote {} ({} bytes)", path.to_string_lossy(), csv.len());
    }
    let spec = OutputSpec::from_json(SPEC).unwrap();
    let risk = RiskAppetite::default();
    let plan = spec.plan().unwrap();
    let options = ReadOptions { column_types: spec.column_types().clone(), only: Some(spec.columns_used()) };
    let data = Microdata::from_csv(&csv, "grants.csv", &options).unwrap();
    assert_eq!(data.records(), RECORDS);

    // The answer itself, once: the shape and a status, so the bench measures real work.
    let out = fivesafes_outputs::check(&csv, "grants.csv", SPEC, None).unwrap();
    assert_eq!((out.table.row_labels.len(), out.table.column_labels.len()), (97, 7));
    assert_eq!(out.status, Status::Pass, "about 1,700 records a cell: no cell is small or dominated");

    let mut g = c.benchmark_group("outputs crosstab 1M records, mean, margins");
    g.sample_size(10).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(15));
    g.bench_function("check from CSV bytes", |b| {
        b.iter(|| fivesafes_outputs::check(black_box(&csv), "grants.csv", SPEC, None).unwrap())
    });
    g.bench_function("read CSV", |b| b.iter(|| Microdata::from_csv(black_box(&csv), "grants.csv", &options).unwrap()));
    g.bench_function("build + check from parsed microdata", |b| {
        b.iter(|| {
            let table = Table::build(black_box(&data), &plan, 2).unwrap();
            rules::check_table(&table, true, &risk)
        })
    });
    g.finish();
}

criterion_group!(benches, crosstab);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
