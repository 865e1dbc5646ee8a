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

#[cfg(test)]
mod tests {
    use super::*;

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
