//! Driver of the peer benchmarks (`benches/run_peers.sh` calls it; see `benches/RESULTS.md`).
//!
//! `cargo bench --bench peers -- <command> ...`, one command per step; each prints one JSON line
//! on stdout so the script can tabulate it:
//! - `ingest URL KEY N CSV`: POSTs `N` synthetic leads (`ml::synth::leads`, seed 7) to
//!   `URL/v1/leads` in batches of 10,000 and writes the same leads to `CSV` for the peer.
//! - `bodies DIR`: writes `one.json` (1 lead), `thousand.json` (1,000) and `batch.json`
//!   (10,000 leads) scoring bodies.
//! - `openloop URL KEY BODY RATE SECS`: open-loop load at a fixed rate; latencies are measured
//!   from each request's scheduled send time, so a stalled server cannot hide its queue.
//! - `batch URL KEY BODY N`: `N` sequential requests of one body; median and p90 latency.
//! - `closed URL KEY BODY CONNECTIONS SECS`: closed-loop load (CONNECTIONS requests in flight,
//!   at most 60 s); requests/s and rows/s (bulk bodies such as `thousand.json`, 1,000 leads).
//! - `ndjson URL KEY N [SERVER_PID]`: one streamed request of `N` leads, one per line; wall time
//!   to the last line, and the server's peak resident memory when its PID is given.
//! - `train N CSV`: full lead pipeline on `N` synthetic leads, then the boosted trees alone on
//!   the same encoded rows (train on the oldest 80%, AUC on the newest 20%); writes those
//!   encoded rows to `CSV` for LightGBM.

mod load;
mod training;

use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage: peers ingest|bodies|openloop|batch|closed|ndjson|train ARGS (see benches/peers/main.rs)"
    );
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    // `cargo bench` appends `--bench`; it is not ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some((cmd, rest)) = args.split_first() else {
        return usage();
    };
    let result = match cmd.as_str() {
        "ingest" => load::ingest(rest),
        "bodies" => load::bodies(rest),
        "openloop" => load::openloop(rest),
        "batch" => load::batch(rest),
        "closed" => load::closed(rest),
        "ndjson" => load::ndjson(rest),
        "train" => training::run(rest),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
