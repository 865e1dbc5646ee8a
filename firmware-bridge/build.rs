//! Records the build year (from `SOURCE_DATE_EPOCH` when set, for
//! reproducible builds, else the clock) for the GNSS date window: a receiver
//! date before the build is not evidence (see docs/gnss.md).

use std::time::{SystemTime, UNIX_EPOCH};

fn year_of(unix_s: i64) -> i64 {
    // Civil-from-days (Howard Hinnant), proleptic Gregorian.
    let z = unix_s.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    yoe + era * 400 + i64::from(mp >= 10)
}

fn main() {
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-changed=build.rs");
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2))
                .unwrap_or(0)
        });
    println!(
        "cargo:rustc-env=FIRMWARE_BRIDGE_BUILD_YEAR={}",
        year_of(now.clamp(0, 253_402_300_799))
    );
}
