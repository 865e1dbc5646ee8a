//! Digits as buyers type them: an SMS in Arabic may show the code in
//! Arabic-Indic digits (٠١٢٣٤٥٦٧٨٩). Every Unicode decimal digit (category Nd)
//! is read as the ASCII digit of the same value; anything else is left as it is
//! for the code check to refuse.
//!
//! Keyboards and SMS apps also put invisible characters around digits: a
//! right-to-left mark before Arabic digits, a zero-width space, a non-breaking
//! space between groups. [`entry_text`] drops them from every code, label and
//! PIN a person types, pastes or scans, so what is checked is what the screen
//! shows.

use dec_from_char::DecimalExtended;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Whether a character is invisible padding a keyboard or an SMS app may put
/// around digits: a format character (Unicode category Cf: bidirectional
/// marks and isolates, zero-width space and joiners, the byte-order mark, the
/// soft hyphen) or a space other than the ASCII one (no-break, narrow
/// no-break, thin, ideographic, ...).
pub fn is_invisible_padding(c: char) -> bool {
    match c.general_category() {
        GeneralCategory::Format => true,
        GeneralCategory::SpaceSeparator => c != ' ',
        _ => false,
    }
}

/// What a person entered (a code, a label, a PIN; typed, pasted or scanned),
/// as the terminal reads it: invisible padding dropped
/// ([`is_invisible_padding`]), ASCII white space trimmed at both ends, every
/// decimal digit of any script read as its ASCII digit. The one rule every
/// entry path applies (command line, screens, scanner).
pub fn entry_text(text: &str) -> String {
    let visible: String = text.chars().filter(|c| !is_invisible_padding(*c)).collect();
    ascii_digits(visible.trim())
}

/// The text with every Unicode decimal digit replaced by its ASCII digit.
pub fn ascii_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_decimal_utf8() {
            Some(d) if !c.is_ascii_digit() => char::from(b'0' + d),
            _ => c,
        })
        .collect()
}

/// The digit a key gives for code or PIN entry: one Unicode decimal digit
/// (an ASCII key, an Arabic-Indic or Persian key of a local keypad), read as
/// its ASCII digit; anything else is no digit. The one rule of digit entry:
/// the screens pass every key on, and take what this returns.
pub fn entry_digit(key: &str) -> Option<char> {
    let mut chars = key.chars().filter(|c| !is_invisible_padding(*c));
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    c.to_decimal_utf8().map(|d| char::from(b'0' + d))
}

/// The character a key gives for a typed label (route list, label pad): a
/// Latin letter, upper-cased, or a digit by [`entry_digit`] (so a local
/// keypad's Arabic-Indic digits type the label's ASCII digits); anything else
/// is no label character.
pub fn label_key(key: &str) -> Option<char> {
    let mut chars = key.chars().filter(|c| !is_invisible_padding(*c));
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    if c.is_ascii_alphabetic() {
        Some(c.to_ascii_uppercase())
    } else {
        entry_digit(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_of_any_decimal_script_is_a_digit() {
        assert_eq!(entry_digit("7"), Some('7'));
        assert_eq!(entry_digit("\u{0667}"), Some('7'));
        assert_eq!(entry_digit("\u{06F7}"), Some('7'));
        assert_eq!(entry_digit("a"), None);
        assert_eq!(entry_digit("12"), None);
        assert_eq!(entry_digit(""), None);
        assert_eq!(entry_digit("\n"), None);
    }

    #[test]
    fn a_label_key_is_a_latin_letter_upper_cased_or_any_decimal_digit() {
        assert_eq!(label_key("q"), Some('Q'));
        assert_eq!(label_key("Z"), Some('Z'));
        assert_eq!(label_key("4"), Some('4'));
        assert_eq!(label_key("\u{0664}"), Some('4'));
        assert_eq!(label_key("\u{06F4}"), Some('4'));
        assert_eq!(label_key("-"), None);
        assert_eq!(label_key("\u{0628}"), None);
        assert_eq!(label_key("ab"), None);
        assert_eq!(label_key(""), None);
    }

    #[test]
    fn arabic_indic_persian_and_fullwidth_digits_read_as_ascii() {
        assert_eq!(ascii_digits("٤٨٢٩١٣"), "482913");
        assert_eq!(ascii_digits("۴۸۲۹۱۳"), "482913");
        assert_eq!(ascii_digits("４８２９１３"), "482913");
        assert_eq!(ascii_digits("48٢9١3"), "482913");
    }

    #[test]
    fn invisible_marks_and_odd_spaces_around_digits_are_ignored() {
        // A right-to-left mark before Arabic digits, as an SMS app pastes it.
        assert_eq!(entry_text("\u{200F}٤٨٢٩١٣"), "482913");
        assert_eq!(entry_text("\u{200E}482\u{200B}913\u{FEFF}"), "482913");
        assert_eq!(entry_text("482\u{00A0}913"), "482913");
        assert_eq!(entry_text("482\u{202F}913"), "482913");
        assert_eq!(entry_text("\u{2066}P-0001\u{2069}"), "P-0001");
        assert_eq!(entry_text("\u{061C}1234\u{200D}"), "1234");
        assert_eq!(entry_text("  P-0001\n"), "P-0001");
        assert_eq!(entry_digit("\u{200F}\u{0667}"), Some('7'));
        assert_eq!(entry_digit("\u{200B}"), None);
    }

    #[test]
    fn visible_characters_are_kept() {
        assert_eq!(entry_text("12a4"), "12a4");
        assert_eq!(entry_text("P-0001 B"), "P-0001 B");
        assert!(!is_invisible_padding(' '));
        assert!(!is_invisible_padding('-'));
        assert!(is_invisible_padding('\u{00A0}'));
        assert!(is_invisible_padding('\u{200F}'));
    }

    #[test]
    fn non_digits_are_kept_for_the_code_check_to_refuse() {
        assert_eq!(ascii_digits("12a4"), "12a4");
        assert_eq!(ascii_digits("½²"), "½²");
    }
}
