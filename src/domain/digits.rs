//! Digits as buyers type them: an SMS in Arabic may show the code in
//! Arabic-Indic digits (٠١٢٣٤٥٦٧٨٩). Every Unicode decimal digit (category Nd)
//! is read as the ASCII digit of the same value; anything else is left as it is
//! for the code check to refuse.

use dec_from_char::DecimalExtended;

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
    let mut chars = key.chars();
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
    let mut chars = key.chars();
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
    fn non_digits_are_kept_for_the_code_check_to_refuse() {
        assert_eq!(ascii_digits("12a4"), "12a4");
        assert_eq!(ascii_digits("½²"), "½²");
    }
}
