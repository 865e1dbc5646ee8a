//! Numbers and times as each language writes them (amounts in DZD, clock times).

use super::Language;

/// Formats an amount in minor units, e.g. `450000` DZD as "4 500,00 DA" in French.
pub fn amount(minor: i64, currency: &str, lang: Language) -> String {
    let negative = minor < 0;
    let abs = minor.unsigned_abs();
    let units = abs / 100;
    let cents = abs % 100;
    let (group, decimal) = match lang {
        Language::En => (',', '.'),
        Language::Fr | Language::Ar => ('\u{a0}', ','),
    };
    let digits = units.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let sign = if negative { "-" } else { "" };
    let number = format!("{sign}{grouped}{decimal}{cents:02}");
    match (lang, currency) {
        (Language::Fr, "DZD") => format!("{number}\u{a0}DA"),
        // Currency first in logical order: the paragraph is then right to left and
        // reads "4 500,00 د.ج" on screen.
        (Language::Ar, "DZD") => format!("د.ج\u{a0}{number}"),
        (Language::En, "DZD") => format!("DZD\u{a0}{number}"),
        (Language::En, other) => format!("{other}\u{a0}{number}"),
        (_, other) => format!("{number}\u{a0}{other}"),
    }
}

/// "HH:MM" of a UTC time in milliseconds, shifted to local time.
pub fn clock(utc_ms: i64, utc_offset_minutes: i32) -> String {
    let local_min = utc_ms.div_euclid(60_000) + i64::from(utc_offset_minutes);
    let day_min = local_min.rem_euclid(24 * 60);
    format!("{:02}:{:02}", day_min / 60, day_min % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dzd_amounts_per_language() {
        assert_eq!(
            amount(450_000, "DZD", Language::Fr),
            "4\u{a0}500,00\u{a0}DA"
        );
        assert_eq!(amount(450_000, "DZD", Language::En), "DZD\u{a0}4,500.00");
        assert_eq!(
            amount(12_345_678, "DZD", Language::Fr),
            "123\u{a0}456,78\u{a0}DA"
        );
        assert_eq!(amount(5, "DZD", Language::Fr), "0,05\u{a0}DA");
    }

    #[test]
    fn local_clock() {
        // 2024-01-01T13:05:00Z is 14:05 in Algiers (UTC+1).
        assert_eq!(clock(1_704_114_300_000, 60), "14:05");
    }
}
