//! Running a measured process for the benches: wall time and peak resident memory (`VmHWM`,
//! polled every 20 ms), and the median of repeated runs. Included by the benches that time the
//! `revcast` binary (`#[path = "support/process.rs"] mod process;`).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` to its end; returns the wall time and the peak resident set in bytes.
pub fn measure(cmd: &mut Command) -> (Duration, u64) {
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kb * 1024);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            assert!(status.success(), "{cmd:?} failed: {err}");
            return (start.elapsed(), peak);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}
