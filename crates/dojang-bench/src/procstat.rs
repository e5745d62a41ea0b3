//! CPU time and memory of processes, from Linux's `/proc`.

use std::time::Duration;

/// One reading of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct ProcSample {
    /// User + system CPU time so far (milliseconds in JSON).
    #[serde(rename = "cpu_ms", serialize_with = "as_millis")]
    pub cpu: Duration,
    /// Resident memory now, KiB.
    pub rss_kib: u64,
    /// Peak resident memory, KiB.
    pub peak_rss_kib: u64,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// Clock ticks per second of `/proc/*/stat` (USER_HZ, 100 on every Linux architecture dojang
/// runs on).
const TICKS_PER_SECOND: u64 = 100;

/// Read `/proc/<pid>` (or `/proc/self` for `None`).
pub fn sample(pid: Option<u32>) -> Option<ProcSample> {
    let dir = pid.map_or_else(|| "/proc/self".to_owned(), |p| format!("/proc/{p}"));
    let stat = std::fs::read_to_string(format!("{dir}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start at ") ".
    let rest = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("{dir}/status")).ok()?;
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Some(ProcSample {
        cpu: Duration::from_millis((utime + stime) * 1000 / TICKS_PER_SECOND),
        rss_kib: kib("VmRSS:"),
        peak_rss_kib: kib("VmHWM:"),
    })
}

/// Busy and total CPU time of the whole machine so far (all cores), from `/proc/stat`.
pub fn machine() -> Option<(Duration, Duration)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().next()?;
    let v: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4)?;
    let ticks = |t: u64| Duration::from_millis(t * 1000 / TICKS_PER_SECOND);
    Some((ticks(total - idle), ticks(total)))
}

/// Cores available to this process.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}
