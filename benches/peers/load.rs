//! HTTP sides of the peer benchmarks: loading leads, writing request bodies, and timing requests.

use anyhow::{bail, Context, Result};
use revcast::ml::synth;
use serde_json::{json, Value};
use std::io::Write;
use std::time::{Duration, Instant};

/// Leads per ingestion request (the API's batch limit).
const INGEST_BATCH: usize = 10_000;
/// Seed of the leads the models are trained on; scoring bodies use another seed.
const TRAIN_SEED: u64 = 7;
const BODY_SEED: u64 = 99;

fn arg<T: std::str::FromStr>(args: &[String], i: usize, name: &str) -> Result<T> {
    let s = args
        .get(i)
        .with_context(|| format!("missing argument {name}"))?;
    s.parse()
        .map_err(|_| anyhow::anyhow!("argument {name} cannot be read from {s:?}"))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    // One client thread: the server under test gets the rest of this 2-core machine.
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(60))
        .build()?)
}

/// The q-quantile (0..=1) of sorted values, by nearest rank.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn csv_row(lead: &Value) -> String {
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_default();
    let num = |v: &Value| v.as_f64().map(|x| x.to_string()).unwrap_or_default();
    let converted = match lead["converted"].as_bool() {
        Some(b) => u8::from(b).to_string(),
        None => String::new(),
    };
    format!(
        "{},{},{},{},{},{}\n",
        text(&lead["id"]),
        text(&lead["created_at"]),
        text(&lead["source"]),
        num(&lead["attributes"]["visits"]),
        num(&lead["attributes"]["company_size"]),
        converted
    )
}

/// `ingest URL KEY N CSV`.
pub fn ingest(args: &[String]) -> Result<()> {
    let url = format!("{}/v1/leads", arg::<String>(args, 0, "URL")?);
    let key: String = arg(args, 1, "KEY")?;
    let n: usize = arg(args, 2, "N")?;
    let csv_path: String = arg(args, 3, "CSV")?;
    let (leads, _) = synth::leads(n, 0, TRAIN_SEED);
    let rows: Vec<Value> = leads
        .iter()
        .map(serde_json::to_value)
        .collect::<std::result::Result<_, _>>()?;
    let mut csv = std::io::BufWriter::new(std::fs::File::create(&csv_path)?);
    csv.write_all(b"id,created_at,source,visits,company_size,converted\n")?;
    for r in &rows {
        csv.write_all(csv_row(r).as_bytes())?;
    }
    csv.flush()?;
    let t = Instant::now();
    runtime()?.block_on(async {
        let c = client()?;
        for chunk in rows.chunks(INGEST_BATCH) {
            let resp = c.post(&url).bearer_auth(&key).json(chunk).send().await?;
            let status = resp.status();
            if !status.is_success() {
                bail!("ingest answered {status}: {}", resp.text().await?);
            }
        }
        Ok(())
    })?;
    let secs = t.elapsed().as_secs_f64();
    println!("{}", json!({"step": "ingest", "leads": n, "seconds": secs}));
    Ok(())
}

/// `bodies DIR`: open (undecided) leads, as a CRM would send them for scoring.
pub fn bodies(args: &[String]) -> Result<()> {
    let dir: String = arg(args, 0, "DIR")?;
    let (leads, _) = synth::leads(0, 10_000, BODY_SEED);
    std::fs::write(format!("{dir}/one.json"), serde_json::to_vec(&leads[..1])?)?;
    std::fs::write(format!("{dir}/batch.json"), serde_json::to_vec(&leads)?)?;
    std::fs::write(
        format!("{dir}/thousand.json"),
        serde_json::to_vec(&leads[..1000])?,
    )?;
    println!("{}", json!({"step": "bodies", "batch": leads.len()}));
    Ok(())
}

async fn timed_post(c: &reqwest::Client, url: &str, key: &str, body: &[u8]) -> Result<()> {
    let resp = c
        .post(url)
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await?;
    let status = resp.status();
    let bytes = resp.bytes().await?;
    if !status.is_success() {
        bail!("{status}: {}", String::from_utf8_lossy(&bytes));
    }
    Ok(())
}

fn ms_summary(mut ms: Vec<f64>) -> Value {
    ms.sort_by(f64::total_cmp);
    json!({
        "p50_ms": quantile(&ms, 0.5),
        "p90_ms": quantile(&ms, 0.9),
        "p99_ms": quantile(&ms, 0.99),
        "max_ms": quantile(&ms, 1.0),
    })
}

/// `openloop URL KEY BODY RATE SECS`: one request every 1/RATE s whatever the answers do.
pub fn openloop(args: &[String]) -> Result<()> {
    let url: String = arg(args, 0, "URL")?;
    let key: String = arg(args, 1, "KEY")?;
    let body = std::fs::read(arg::<String>(args, 2, "BODY")?)?;
    let rate: f64 = arg(args, 3, "RATE")?;
    let secs: f64 = arg(args, 4, "SECS")?;
    let total = (rate * secs) as usize;
    let (ms, errors) = runtime()?.block_on(async {
        let c = client()?;
        // Warm the connection pool and the server before the timed part.
        for _ in 0..200 {
            timed_post(&c, &url, &key, &body).await?;
        }
        let start = tokio::time::Instant::now();
        let mut tasks = Vec::with_capacity(total);
        for i in 0..total {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            tokio::time::sleep_until(due).await;
            let (c, url, key, body) = (c.clone(), url.clone(), key.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                let ok = timed_post(&c, &url, &key, &body).await.is_ok();
                (due.elapsed().as_secs_f64() * 1e3, ok)
            }));
        }
        let mut ms = Vec::with_capacity(total);
        let mut errors = 0usize;
        for t in tasks {
            let (m, ok) = t.await?;
            ms.push(m);
            errors += usize::from(!ok);
        }
        anyhow::Ok((ms, errors))
    })?;
    let mut out = ms_summary(ms);
    out["step"] = json!("openloop");
    out["rate"] = json!(rate);
    out["requests"] = json!(total);
    out["errors"] = json!(errors);
    println!("{out}");
    Ok(())
}

/// `batch URL KEY BODY N`: sequential requests, one at a time.
pub fn batch(args: &[String]) -> Result<()> {
    let url: String = arg(args, 0, "URL")?;
    let key: String = arg(args, 1, "KEY")?;
    let body = std::fs::read(arg::<String>(args, 2, "BODY")?)?;
    let n: usize = arg(args, 3, "N")?;
    let ms = runtime()?.block_on(async {
        let c = client()?;
        timed_post(&c, &url, &key, &body).await?;
        let mut ms = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            timed_post(&c, &url, &key, &body).await?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        anyhow::Ok(ms)
    })?;
    let mut out = ms_summary(ms);
    out["step"] = json!("batch");
    out["requests"] = json!(n);
    println!("{out}");
    Ok(())
}

/// Most requests one `closed` run sends, whatever its duration.
const CLOSED_MAX_REQUESTS: usize = 1_000_000;

/// `closed URL KEY BODY CONNECTIONS SECS`: CONNECTIONS requests in flight at all times for SECS
/// seconds (at most 60 s and [`CLOSED_MAX_REQUESTS`]); prints requests/s, rows/s (the body's
/// array length times requests/s), latency quantiles and errors.
pub fn closed(args: &[String]) -> Result<()> {
    let url: String = arg(args, 0, "URL")?;
    let key: String = arg(args, 1, "KEY")?;
    let body = std::fs::read(arg::<String>(args, 2, "BODY")?)?;
    let conns: usize = arg::<usize>(args, 3, "CONNECTIONS")?.clamp(1, 256);
    let secs: f64 = arg::<f64>(args, 4, "SECS")?.clamp(0.1, 60.0);
    let rows = serde_json::from_slice::<Vec<Value>>(&body)?.len();
    let (ms, errors, elapsed) = runtime()?.block_on(async {
        let c = client()?;
        timed_post(&c, &url, &key, &body).await?;
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let start = Instant::now();
        let end = start + Duration::from_secs_f64(secs);
        let tasks: Vec<_> = (0..conns)
            .map(|_| {
                let (c, url, key, body, sent) = (
                    c.clone(),
                    url.clone(),
                    key.clone(),
                    body.clone(),
                    sent.clone(),
                );
                tokio::spawn(async move {
                    let (mut ms, mut errors) = (Vec::new(), 0usize);
                    while Instant::now() < end
                        && sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                            < CLOSED_MAX_REQUESTS
                    {
                        let t = Instant::now();
                        match timed_post(&c, &url, &key, &body).await {
                            Ok(()) => ms.push(t.elapsed().as_secs_f64() * 1e3),
                            Err(_) => errors += 1,
                        }
                    }
                    (ms, errors)
                })
            })
            .collect();
        let (mut ms, mut errors) = (Vec::new(), 0usize);
        for t in tasks {
            let (m, e) = t.await?;
            ms.extend(m);
            errors += e;
        }
        anyhow::Ok((ms, errors, start.elapsed().as_secs_f64()))
    })?;
    let done = ms.len();
    let mut out = ms_summary(ms);
    out["step"] = json!("closed");
    out["connections"] = json!(conns);
    out["requests"] = json!(done);
    out["errors"] = json!(errors);
    out["requests_per_s"] = json!(done as f64 / elapsed);
    out["rows_per_s"] = json!((done * rows) as f64 / elapsed);
    println!("{out}");
    Ok(())
}

/// Peak resident memory of process `pid` (`VmHWM`), in MB.
fn hwm_mb(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM")?;
    Ok(kb / 1024.0)
}

/// `ndjson URL KEY N [SERVER_PID]`: one request of `N` open synthetic leads, one per line
/// (`application/x-ndjson`), timed from the first byte sent to the last line received; the
/// answer is read as it streams and its lines counted. With SERVER_PID, the server's peak
/// resident memory (`VmHWM`) after the request.
pub fn ndjson(args: &[String]) -> Result<()> {
    let url: String = arg(args, 0, "URL")?;
    let key: String = arg(args, 1, "KEY")?;
    let n: usize = arg(args, 2, "N")?;
    let pid: Option<u32> = args
        .get(3)
        .map(|_| arg(args, 3, "SERVER_PID"))
        .transpose()?;
    let (leads, _) = synth::leads(0, n, BODY_SEED);
    let mut body = Vec::with_capacity(n * 256);
    for l in &leads {
        serde_json::to_writer(&mut body, l)?;
        body.push(b'\n');
    }
    drop(leads);
    let body_mb = body.len() as f64 / 1e6;
    let before = pid.map(hwm_mb).transpose()?;
    let (secs, lines, errors, out_bytes) = runtime()?.block_on(async {
        let c = client()?;
        let t = Instant::now();
        let mut resp = c
            .post(&url)
            .bearer_auth(&key)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await?;
        let status = resp.status();
        if !status.is_success() {
            bail!("{status}: {}", resp.text().await?);
        }
        let (mut lines, mut errors, mut bytes) = (0usize, 0usize, 0usize);
        let mut tail = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            bytes += chunk.len();
            lines += chunk.iter().filter(|&&b| b == b'\n').count();
            // An error line ends the stream: look for one in the last bytes only.
            tail.extend_from_slice(&chunk[chunk.len().saturating_sub(4096)..]);
            if tail.len() > 8192 {
                tail.drain(..tail.len() - 4096);
            }
        }
        if String::from_utf8_lossy(&tail).contains("\"error\"") {
            errors += 1;
        }
        anyhow::Ok((t.elapsed().as_secs_f64(), lines, errors, bytes))
    })?;
    let mut out = json!({
        "step": "ndjson",
        "rows": n,
        "seconds": secs,
        "rows_per_s": n as f64 / secs,
        "lines": lines,
        "errors": errors,
        "body_mb": body_mb,
        "answer_mb": out_bytes as f64 / 1e6,
    });
    if let Some(pid) = pid {
        out["server_hwm_mb_before"] = json!(before);
        out["server_hwm_mb"] = json!(hwm_mb(pid)?);
    }
    println!("{out}");
    Ok(())
}
