//! Sizes, speeds and durations in short human words (`1.5 MB`, `2.1 MB/s`, `1 min 5 s`).

/// `1.5 MB` (decimal units, as file managers show them).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.0} {}", UNITS[unit])
    }
}

/// `2.1 MB/s`.
pub fn speed(bytes_per_second: f64) -> String {
    if !bytes_per_second.is_finite() || bytes_per_second < 0.0 {
        return String::new();
    }
    format!("{}/s", bytes(bytes_per_second as u64))
}

/// `45 s`, `3 min 5 s`, `2 h 10 min`.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return String::new();
    }
    let s = secs.ceil() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// Whole percent, 0..=100, never past 100 (and 99 at most until `done`: "100 %" means finished).
pub fn percent_until(loaded: u64, total: u64, done: bool) -> u32 {
    if done {
        100
    } else {
        percent(loaded, total).min(99)
    }
}

/// Whole percent, 0..=100, never past 100.
pub fn percent(loaded: u64, total: u64) -> u32 {
    if total == 0 {
        return 0;
    }
    ((loaded.min(total) as f64 / total as f64) * 100.0).floor() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_500_000), "1.5 MB");
        assert_eq!(bytes(25_000_000), "25 MB");
        assert_eq!(speed(2_100_000.0), "2.1 MB/s");
        assert_eq!(duration(44.2), "45 s");
        assert_eq!(duration(185.0), "3 min 5 s");
        assert_eq!(percent(5, 10), 50);
        assert_eq!(percent(11, 10), 100);
        assert_eq!(percent(1, 0), 0);
    }
}
